"""Every public page in every language keeps the page invariants; routes are what we think."""
import pytest

from patientapp import i18n
from patientapp.guides import SLUGS
from tests.pages import assert_page_ok

LANGS = list(i18n.LANGUAGES)
PUBLIC_PATHS = ["/", "/guide", "/check"] + [f"/guide/{slug}" for slug in SLUGS]


@pytest.mark.parametrize("lang", LANGS)
def test_public_pages_in_every_language(client, lang):
    for path in PUBLIC_PATHS:
        response = client.get(f"{path}?lang={lang}")
        assert response.status_code == 200, path
        soup = assert_page_ok(response, lang)
        # The language switcher: every other language, named in itself, marked with its own lang.
        nav = soup.select_one("nav.pa-languages")
        assert len(nav.find_all("a")) == 5 and nav.select_one("[aria-current]")["lang"] == lang
        assert soup.select_one("a[href='tel:113']"), path


@pytest.mark.parametrize("lang", LANGS)
def test_error_pages_in_every_language(client, lang):
    response = client.get(f"/no-such-page?lang={lang}")
    assert response.status_code == 404
    assert_page_ok(response, lang)


def test_guide_pages_show_the_guide_in_the_chosen_language(client):
    nb = client.get("/guide/health-worse?lang=nb").get_data(as_text=True)
    ar = client.get("/guide/health-worse?lang=ar").get_data(as_text=True)
    assert nb != ar and 'href="tel:116117"' in nb


def test_unknown_guide_is_a_404(client):
    assert client.get("/guide/..%2Fetc").status_code == 404
    assert client.get("/guide/NOPE").status_code == 404


def test_route_inventory(app):
    routes = sorted(f"{','.join(sorted(r.methods - {'HEAD', 'OPTIONS'}))} {r.rule}" for r in app.url_map.iter_rules()
                    if not r.rule.startswith("/__test"))
    assert routes == [
        "GET /",
        "GET /api/check/download",
        "GET /api/check/ping",
        "GET /check",
        "GET /d/<path:signed>",
        "GET /guide",
        "GET /guide/<slug>",
        "GET /healthz",
        "GET /i/<path:token>",
        "GET /readyz",
        "GET /static/<path:filename>",
        "GET /visit",
        "GET /visit/calendar.ics",
        "GET /visit/check",
        "GET /visit/qr.svg",
        "POST /api/visit/check",
        "POST /csp-report",
    ]
    assert not [r for r in routes if "password" in r or "otp" in r]
