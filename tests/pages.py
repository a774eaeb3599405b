"""Invariants every rendered page must keep (STYLE.md 15, SECURITY.md R35)."""
from __future__ import annotations

import re
from collections import Counter

from bs4 import BeautifulSoup

RTL = {"ar", "ur"}


def csp(response) -> dict[str, list[str]]:
    out = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        tokens = part.split()
        if tokens:
            out[tokens[0]] = tokens[1:]
    return out


def assert_page_ok(response, locale: str | None = None) -> BeautifulSoup:
    """One h1; the title starts with it; unique ids; nonced scripts; lang/dir; no inline style or handlers."""
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    h1s = soup.find_all("h1")
    assert len(h1s) == 1, f"expected one h1, found {len(h1s)}"
    h1 = " ".join(h1s[0].get_text().split())
    title = " ".join(soup.title.get_text().split())
    assert title.startswith(h1), (title, h1)
    ids = Counter(tag["id"] for tag in soup.find_all(id=True))
    assert not [i for i, n in ids.items() if n > 1], ids
    nonce = next(v for v in csp(response)["script-src"] if v.startswith("'nonce-"))[7:-1]
    for script in soup.find_all("script"):
        assert script.get("nonce") == nonce
    for form in soup.find_all("form"):
        assert form.get("action"), "form without action"
    assert not soup.find_all(style=True), "style= attributes need 'unsafe-inline'"
    assert not re.search(r"<[^>]+\son[a-z]+=", html), "inline event handler"
    html_tag = soup.find("html")
    if locale:
        assert html_tag["lang"] == locale
        assert html_tag["dir"] == ("rtl" if locale in RTL else "ltr")
    return soup


def page_language(soup: BeautifulSoup) -> str | None:
    html_tag = soup.find("html")
    return html_tag.get("lang") if html_tag else None


def make_checking_client(base):
    """A Flask test client class that holds every whole HTML page it receives to assert_page_ok, in
    the page's own language. `client.check_pages = False` opts one client out: the hostile-input
    runs, which send thousands of requests and check what they are about themselves."""

    class PageCheckingClient(base):
        check_pages = True

        def open(self, *args, **kwargs):
            response = super().open(*args, **kwargs)
            if (self.check_pages and response.mimetype == "text/html" and not response.is_streamed
                    and response.get_data()[:15].lower().startswith(b"<!doctype html")):
                soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
                assert_page_ok(response, page_language(soup))
            return response

    return PageCheckingClient
