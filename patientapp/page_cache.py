"""Pages whose HTML follows only from what they show: rendered once per key, then served with this
response's CSP nonce put in.

The landing page and the guides are the pages patients open most, and rendering them (fifty
translated sentences, the guide links, the language switcher) was most of what they cost. What such a
page shows is a small frozen value (the appointment as `appointment.Landing`, the guide and the
language), so that value, the page's path and the language are the key: the same key, the same HTML.
Only the nonce (and a form's CSRF token, the session's own) differs per response: each is rendered
as a random placeholder no text contains, then replaced. Whether the link still works is decided
before (`patient_session.current_link`); only the rendering is kept. Bounded (1,024 pages of about
10 KB each, least recently used out) and per process.

Fragments are kept the same way: a staff dashboard's row is rendered once per thing it shows (its
words change once a minute at most), not at every refresh of every open dashboard.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import g, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from . import i18n

# Rendered where the nonce goes; 32 random hex digits, new at every start.
PLACEHOLDER = "pa-nonce-" + secrets.token_hex(16)
# Rendered where a form's CSRF token goes (it is the session's own): put in per response, as the nonce.
CSRF_PLACEHOLDER = "pa-csrf-" + secrets.token_hex(16)


class PageCache:
    def __init__(self, size: int = 1024):
        self.size = size
        self._pages: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    def render(self, template: str, key: Hashable, **context) -> str:
        """`template` rendered with `context`, which must follow from `key` (with the path and the
        language), and with this response's nonce."""
        html = self._kept((template, request.path, i18n.current().code, key),
                          lambda: render_template(template, **context, csp_nonce=PLACEHOLDER,
                                                  csrf_token=lambda: CSRF_PLACEHOLDER))
        html = html.replace(PLACEHOLDER, g.get("csp_nonce", ""))
        return html.replace(CSRF_PLACEHOLDER, generate_csrf()) if CSRF_PLACEHOLDER in html else html

    def _kept(self, full_key: tuple, render: Callable[[], str]) -> str:
        """The HTML kept under this key, or `render()`'s, kept from now on (least recently used out)."""
        with self._lock:
            html = self._pages.get(full_key)
            if html is not None:
                self._pages.move_to_end(full_key)
                return html
        html = render()
        with self._lock:
            self._pages[full_key] = html
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return html

    def fragment(self, template: str, key: Hashable, context: Callable[[], dict]) -> Markup:
        """A piece of a page: `template` rendered with `context()` (asked only when it is not kept),
        which must follow from `key` and the language. No nonce: a fragment holds no script or style."""
        html = self._kept((template, i18n.current().code, key), lambda: render_template(template, **context()))
        return Markup(html)


def init_app(app) -> None:
    app.extensions["patientapp.pages"] = PageCache()
    # A dashboard row is about 1.5 KB: 10,000 rows are the rows of a very busy day, at most 15 MB.
    app.extensions["patientapp.fragments"] = PageCache(size=10_000)
