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
        "GET /api/visit/status",
        "GET /check",
        "GET /code",
        "GET /d/<path:signed>",
        "GET /dev/video-room",
        "GET /embed/<clinic>/",
        "GET /embed/<clinic>/<lang>/",
        "GET /embed/<clinic>/<lang>/check",
        "GET /embed/<clinic>/<lang>/guide/<slug>",
        "GET /embed/<clinic>/<lang>/sheet",
        "GET /embed/embed.js",
        "GET /guide",
        "GET /guide/<slug>",
        "GET /healthz",
        "GET /i/<path:token>",
        "GET /kode",
        "GET /manifest-<lang>.webmanifest",
        "GET /offline/<lang>",
        "GET /readyz",
        "GET /sheet",
        "GET /staff/",
        "GET /staff/api/dashboard",
        "GET /staff/emergency",
        "GET /staff/enrol",
        "GET /staff/enrol/<path:token>",
        "GET /staff/invitations",
        "GET /staff/invitations/<int:invitation_id>",
        "GET /staff/invitations/<int:invitation_id>/cancel",
        "GET /staff/login",
        "GET /staff/outbox",
        "GET /staff/passkeys",
        "GET /staff/team/<int:staff_id>/passkeys",
        "GET /static/<path:filename>",
        "GET /sw-<lang>.js",
        "GET /visit",
        "GET /visit/calendar.ics",
        "GET /visit/check",
        "GET /visit/go",
        "GET /visit/qr.svg",
        "GET /visit/wait",
        "GET /visit/withdraw",
        "GET /visit/withdrawn",
        "GET,POST /staff/clinic",
        "GET,POST /staff/invitations/<int:invitation_id>/edit",
        "GET,POST /staff/invitations/new",
        "GET,POST /staff/rooms",
        "GET,POST /staff/team",
        "GET,POST /staff/website",
        "GET,POST /staff/website/sections/<lang>",
        "POST /api/visit/check",
        "POST /api/visit/handoff-failed",
        "POST /api/visit/knock",
        "POST /code",
        "POST /csp-report",
        "POST /staff/api/appointments/<int:invitation_id>/admit-all",
        "POST /staff/api/knocks/<int:knock_id>/<action>",
        "POST /staff/api/preferences",
        "POST /staff/invitations/<int:invitation_id>/another-link",
        "POST /staff/invitations/<int:invitation_id>/letter",
        "POST /staff/invitations/<int:invitation_id>/new-link",
        "POST /staff/invitations/<int:invitation_id>/participants",
        "POST /staff/invitations/<int:invitation_id>/remove",
        "POST /staff/invitations/<int:invitation_id>/revoke",
        "POST /staff/invitations/<int:invitation_id>/sms",
        "POST /staff/logout",
        "POST /staff/passkeys/<int:passkey_id>/delete",
        "POST /staff/preferences/language",
        "POST /staff/rooms/<key>/delete",
        "POST /staff/team/<int:staff_id>/disable",
        "POST /staff/team/<int:staff_id>/enable",
        "POST /staff/team/<int:staff_id>/link",
        "POST /staff/team/<int:staff_id>/passkeys/<int:passkey_id>/delete",
        "POST /staff/webauthn/login/options",
        "POST /staff/webauthn/login/verify",
        "POST /staff/webauthn/register/options",
        "POST /staff/webauthn/register/verify",
        "POST /staff/website/origins/<int:origin_id>/delete",
        "POST /visit/device-code",
        "POST /visit/withdraw",
    ]
    assert not [r for r in routes if "password" in r or "otp" in r]
