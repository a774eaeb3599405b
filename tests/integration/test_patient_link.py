"""The link from the SMS, the landing page, the calendar and the QR code (R1–R5, R9, R25, R27)."""
import re
from datetime import UTC, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from patientapp import i18n, invitations, links
from patientapp.models import Invitation
from tests.conftest import html_without_nonce
from tests.pages import assert_page_ok

LANGS = list(i18n.LANGUAGES)


def _open(client, token, **headers):
    response = client.get(f"/i/{token}", headers=headers)
    assert response.status_code == 303, response.status_code
    return response


def test_link_sets_a_host_cookie_and_leaves_the_token_url(client, invitation_factory):
    _, token = invitation_factory.create()
    response = _open(client, token)
    assert response.headers["Location"] == "/visit"
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies
    for cookie in cookies:
        parts = [p.strip() for p in cookie.split(";")]
        assert parts[0].startswith("__Host-")
        assert {"Secure", "HttpOnly", "Path=/", "SameSite=Lax"} <= set(parts), cookie
        assert not any(p.lower().startswith("domain=") for p in parts)
        assert token not in cookie
    assert response.headers["Cache-Control"] == "no-store"


def test_opening_records_the_first_open(client, invitation_factory, db):
    invitation, token = invitation_factory.create()
    _open(client, token)
    _open(client, token)
    stored = db.scalar(select(Invitation).where(Invitation.id == invitation.id))
    assert stored.state == invitations.OPENED and stored.opened_at is not None


@pytest.mark.parametrize("lang", LANGS)
def test_landing_page_in_the_invitations_language(client, invitation_factory, lang):
    _, token = invitation_factory.create(language=lang, starts_in=timedelta(minutes=5))
    _open(client, token)
    response = client.get("/visit")
    assert response.status_code == 200
    soup = assert_page_ok(response, lang)
    html = response.get_data(as_text=True)
    assert token not in html
    assert "Nordby helsesenter" in html
    # Tap-to-call, kept left-to-right inside right-to-left text.
    call = soup.find("a", href="tel:+4712345678")
    assert call and call.find("bdi", dir="ltr").get_text() == "+47 12 34 56 78"
    assert soup.find("time", datetime=True)
    assert soup.select_one("a[href='/visit/calendar.ics']")
    assert soup.select_one("img[src='/visit/qr.svg'][loading=lazy]")
    # Every guide linked, and the emergency number.
    for slug in ("before", "consent", "privacy", "payment", "from-pc", "no-sound", "health-worse"):
        assert soup.select_one(f"a[href='/guide/{slug}']"), slug
    assert soup.select_one("a[href='tel:113']")
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in html


def test_landing_page_says_today_and_the_oslo_time(client, invitation_factory, app):
    with app.test_request_context():
        from patientapp.timefmt import describe

    invitation, token = invitation_factory.create(language="nb", starts_in=timedelta(minutes=10))
    _open(client, token)
    html = client.get("/visit").get_data(as_text=True)
    from datetime import datetime

    from patientapp.timefmt import describe

    shown = describe(invitation.starts_at, invitation.ends_at, "Europe/Oslo", "nb", datetime.now(UTC))
    assert shown.start in html and shown.end in html and shown.date in html
    if shown.relative_day == "today":
        assert "I dag" in html


@pytest.mark.parametrize("lang", LANGS)
def test_landing_page_content_is_translated(client, invitation_factory, lang):
    _, token = invitation_factory.create(language=lang)
    _open(client, token)
    html = client.get("/visit").get_data(as_text=True)
    if lang != "en":
        for english in ("Taking part is voluntary", "Get ready", "Your privacy", "What it costs", "Add to calendar"):
            assert english not in html, (lang, english)


def test_language_choice_beats_the_invitations_and_is_remembered(client, invitation_factory):
    _, token = invitation_factory.create(language="pl")
    _open(client, token, **{"Accept-Language": "ar"})
    assert 'lang="pl"' in client.get("/visit").get_data(as_text=True)
    response = client.get("/visit?lang=ur")
    assert 'lang="ur" dir="rtl"' in response.get_data(as_text=True)
    lang_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-lang="))
    assert "Secure" in lang_cookie and "HttpOnly" in lang_cookie and "SameSite=Lax" in lang_cookie
    assert 'lang="ur"' in client.get("/visit").get_data(as_text=True)
    assert 'lang="ur"' in client.get("/guide").get_data(as_text=True)


def test_guides_follow_the_invitations_language(client, invitation_factory):
    _, token = invitation_factory.create(language="so")
    _open(client, token, **{"Accept-Language": "nb"})
    assert '<html lang="so"' in client.get("/guide/echo").get_data(as_text=True)
    assert '<html lang="so"' in client.get("/").get_data(as_text=True)


def test_browser_language_applies_without_a_choice(client):
    assert '<html lang="so"' in client.get("/", headers={"Accept-Language": "so-SO, en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="nb"' in client.get("/", headers={"Accept-Language": "no"}).get_data(as_text=True)
    assert '<html lang="nb"' in client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="nb"' in client.get("/?lang=xx").get_data(as_text=True)


def test_unknown_expired_cancelled_and_revoked_links_look_the_same(client, invitation_factory, app):
    _, expired = invitation_factory.create(starts_in=-timedelta(hours=3))
    _, cancelled = invitation_factory.create(state=invitations.CANCELLED)
    _, revoked = invitation_factory.create(state=invitations.EXPIRED)
    unknown = links.new_token()
    bodies, statuses = set(), set()
    for token in (unknown, expired, cancelled, revoked, "short", "x" * 300):
        response = client.get(f"/i/{token}", headers={"Accept-Language": "en"})
        statuses.add(response.status_code)
        bodies.add(html_without_nonce(response.data))
        assert not [c for c in response.headers.getlist("Set-Cookie")
                    if c.startswith("__Host-session=") and "visit" in c]
        assert "Nordby" not in response.get_data(as_text=True)
    assert statuses == {410}
    assert len(bodies) == 1
    assert "This link does not work" in bodies.pop()


def test_invalid_link_page_is_in_the_browsers_language(client):
    response = client.get(f"/i/{links.new_token()}", headers={"Accept-Language": "ar"})
    assert_page_ok(response, "ar")
    assert "This link does not work" not in response.get_data(as_text=True)


def test_invalid_link_page_never_links_to_the_token(client):
    token = links.new_token()
    html = client.get(f"/i/{token}").get_data(as_text=True)
    assert token not in html


def test_grace_period_is_configurable(client, invitation_factory, app):
    app.config["LINK_GRACE_MINUTES"] = 0
    _, token = invitation_factory.create(starts_in=-timedelta(minutes=40), duration=timedelta(minutes=30))
    assert client.get(f"/i/{token}").status_code == 410
    app.config["LINK_GRACE_MINUTES"] = 120
    assert client.get(f"/i/{token}").status_code == 303
    html = client.get("/visit").get_data(as_text=True)
    assert "Denne timen er over" in html or "pa-notice" in html


def test_session_dies_with_the_invitation(client, invitation_factory, app, db):
    invitation, token = invitation_factory.create()
    _open(client, token)
    assert client.get("/visit").status_code == 200
    stored = db.get(Invitation, invitation.id)
    stored.state = invitations.CANCELLED
    db.commit()
    for path in ("/visit", "/visit/calendar.ics", "/visit/qr.svg"):
        assert client.get(path).status_code == 410


def test_pages_need_a_session(client):
    for path in ("/visit", "/visit/calendar.ics", "/visit/qr.svg"):
        response = client.get(path)
        assert response.status_code == 410
        assert response.headers["Cache-Control"] == "no-store"


def test_calendar_file_is_private_with_a_working_link(client, invitation_factory, app):
    _, token = invitation_factory.create(language="nb", label="Kari N.")
    _open(client, token)
    response = client.get("/visit/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data(as_text=True).replace("\r\n ", "")
    assert "CLASS:PRIVATE" in body and token not in body and "Kari" not in body
    url = re.search(r"^URL:(\S+)\r?$", body, re.M).group(1)
    assert url.startswith(app.config["PUBLIC_BASE_URL"] + "/d/c.")
    fresh = app.test_client()
    assert fresh.get(urlsplit(url).path).headers["Location"] == "/visit"
    assert fresh.get("/visit").status_code == 200


def test_qr_code_encodes_a_short_lived_link_to_this_invitation(client, invitation_factory, app, monkeypatch):
    import qrcode
    import qrcode.image.svg

    invitation, token = invitation_factory.create()
    _open(client, token)
    signed_links = []
    original = links.sign_ref

    def recording(*args):
        signed_links.append(original(*args))
        return signed_links[-1]

    monkeypatch.setattr(links, "sign_ref", recording)
    response = client.get("/visit/qr.svg")
    assert response.mimetype == "image/svg+xml" and response.headers["Cache-Control"] == "no-store"
    url = app.config["PUBLIC_BASE_URL"] + "/d/" + signed_links[0]
    expected = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2,
                           error_correction=qrcode.constants.ERROR_CORRECT_M).to_string(encoding="unicode")
    assert response.get_data(as_text=True) == expected
    assert signed_links[0].startswith("q.") and token not in url
    phone = app.test_client()
    assert phone.get("/d/" + signed_links[0]).status_code == 303
    assert phone.get("/d/" + signed_links[0][:-3] + "xyz").status_code == 410


def test_links_use_the_public_base_url_not_the_host_header(client, invitation_factory, app):
    app.config["PUBLIC_BASE_URL"] = "https://video.example.no"
    _, token = invitation_factory.create()
    forged = client.get(f"/i/{token}", headers={"Host": "evil.example"})
    assert forged.status_code == 400 and "evil" not in forged.get_data(as_text=True)
    assert "Content-Security-Policy" in forged.headers
    _open(client, token)
    body = client.get("/visit/calendar.ics").get_data(as_text=True).replace("\r\n ", "")
    assert "URL:https://video.example.no/d/" in body


def test_invalid_links_take_similar_time(client, invitation_factory):
    """R4: unknown, expired and revoked links: median times within 50 ms over 50 requests each.

    The three kinds take turns, so a busy moment on the machine slows them all alike.
    """
    import statistics
    import time

    _, expired = invitation_factory.create(starts_in=-timedelta(days=2))
    _, revoked = invitation_factory.create(state=invitations.CANCELLED)  # what staff "revoke" does
    cases = {"unknown": links.new_token(), "expired": expired, "revoked": revoked}
    samples = {name: [] for name in cases}
    for _ in range(50):
        for name, token in cases.items():
            start = time.perf_counter()
            assert client.get(f"/i/{token}").status_code == 410
            samples[name].append(time.perf_counter() - start)
    timings = {name: statistics.median(times) for name, times in samples.items()}
    assert max(timings.values()) - min(timings.values()) < 0.05, timings
