"""The equipment check's pages and endpoints: summary only, CSRF-protected, bounded probes."""
import re

import pytest
from sqlalchemy import select, text

from patientapp import equipment_check, i18n
from patientapp.models import Invitation
from tests.pages import assert_page_ok

ALL_OK = {check: "ok" for check in equipment_check.CHECKS}


def _visit(client, invitation_factory, **kwargs):
    invitation, token = invitation_factory.create(**kwargs)
    client.get(f"/i/{token}")
    page = client.get("/visit/check")
    assert page.status_code == 200
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)).group(1)
    return invitation, csrf


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_check_pages_in_every_language(client, invitation_factory, lang):
    public = client.get(f"/check?lang={lang}")
    soup = assert_page_ok(public, lang)
    assert {s["data-check"] for s in soup.select("section[data-check]")} == set(equipment_check.CHECKS)
    assert all(s["data-status"] == "pending" for s in soup.select("section[data-check]"))
    assert soup.select_one("[aria-live=polite]")
    assert not soup.select_one('meta[name="csrf-token"]'), "the public check posts nothing"
    config = soup.select_one("#pa-check-config")
    assert config["type"] == "application/json" and '"summaryUrl": null' in config.get_text()
    _, token = invitation_factory.create(language=lang)
    client.get(f"/i/{token}")
    visit = client.get("/visit/check")
    assert_page_ok(visit, lang)
    assert visit.headers["Cache-Control"] == "no-store"
    assert '"summaryUrl": "/api/visit/check"' in visit.get_data(as_text=True)


def test_check_messages_are_translated(client):
    for lang in ("nb", "ar", "pl", "so", "ur"):
        body = client.get(f"/check?lang={lang}").get_data(as_text=True)
        for english in ("We cannot hear you", "The light is good", "Check your equipment", "Your speaker works"):
            assert english not in body, (lang, english)


def test_landing_page_links_to_the_check(client, invitation_factory):
    _, token = invitation_factory.create()
    client.get(f"/i/{token}")
    assert 'href="/visit/check"' in client.get("/visit").get_data(as_text=True)
    assert 'href="/check"' in client.get("/").get_data(as_text=True)


def test_visit_check_needs_a_working_invitation(client):
    assert client.get("/visit/check").status_code == 410


def test_summary_is_stored_with_a_csrf_token(client, invitation_factory, db):
    invitation, csrf = _visit(client, invitation_factory)
    assert client.post("/api/visit/check", json=ALL_OK).status_code == 400  # no token
    response = client.post("/api/visit/check", json=ALL_OK, headers={"X-CSRFToken": csrf})
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    stored = db.scalar(select(Invitation).where(Invitation.id == invitation.id))
    assert stored.check_summary == ALL_OK and stored.checked_at is not None
    partial = {"camera": "fail", "microphone": "warn", "speaker": "pending"}
    assert client.post("/api/visit/check", json=partial, headers={"X-CSRFToken": csrf}).get_json() == {"status": "fail"}


@pytest.mark.parametrize("payload", [
    None, [], "ok", {}, {"camera": "great"}, {"webcam": "ok"}, {"camera": ["ok"]}, {"camera": None},
    {**ALL_OK, "extra": "ok"}, {"camera": "ok" * 1000},
])
def test_bad_summaries_are_refused_and_change_nothing(client, invitation_factory, db, payload):
    invitation, csrf = _visit(client, invitation_factory)
    client.post("/api/visit/check", json={"camera": "ok"}, headers={"X-CSRFToken": csrf})
    response = client.post("/api/visit/check", json=payload, headers={"X-CSRFToken": csrf})
    assert response.status_code == 400
    stored = db.scalar(select(Invitation).where(Invitation.id == invitation.id))
    assert stored.check_summary == {"camera": "ok"}


def test_summary_without_a_session_or_after_cancellation(client, invitation_factory, db):
    invitation, csrf = _visit(client, invitation_factory)
    db.execute(text("UPDATE invitations SET state = 'cancelled' WHERE id = :id"), {"id": invitation.id})
    db.commit()
    assert client.post("/api/visit/check", json=ALL_OK, headers={"X-CSRFToken": csrf}).status_code == 410
    assert client.get("/api/visit/check").status_code == 405


def test_network_probes(client):
    assert client.get("/api/check/ping").status_code == 204
    response = client.get("/api/check/download")
    assert response.status_code == 200 and len(response.data) == equipment_check.DOWNLOAD_SAMPLE_BYTES
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/api/check/download?bytes=1000").data != client.get("/api/check/download?bytes=1000").data
    for bad in ("0", "-1", str(equipment_check.MAX_DOWNLOAD_BYTES + 1), "abc", "1e9"):
        assert client.get(f"/api/check/download?bytes={bad}").status_code == 400


def test_clinic_stun_servers_reach_the_page_but_nothing_else(client, invitation_factory):
    _, csrf = _visit(client, invitation_factory, room_settings={
        "ice_servers": [{"urls": "stun:stun.example.no:3478"}, "junk", {"no": "urls"}],
        "host_pin": "1234", "room_url": "https://join.nhn.no/secret"})
    body = client.get("/visit/check").get_data(as_text=True)
    assert "stun:stun.example.no:3478" in body
    assert "1234" not in body and "join.nhn.no" not in body and "junk" not in body


def test_every_message_the_scripts_ask_for_exists(app):
    """Literal keys in the scripts, and the keys they build from a kind or a name."""
    from pathlib import Path

    from patientapp.check.context import messages

    with app.test_request_context():
        table = messages()
    js = "\n".join(p.read_text() for p in (Path(app.static_folder) / "js/check").glob("*.js"))
    literal = set(re.findall(r"'((?:browser|media|camera|microphone|speaker|light|network|battery|summary|status"
                             r"|steps)\.[A-Za-z.]+)'", js))
    built = {f"light.{k}" for k in ("ok", "black", "dark", "backlit", "bright", "waiting")}
    built |= {f"microphone.{k}" for k in ("ok", "clipping", "quiet", "silent", "listening")}
    built |= {f"{d}.{e}" for d in ("camera", "microphone")
              for e in ("NotAllowedError", "NotFoundError", "NotReadableError", "SecurityError", "other")}
    built |= {f"status.{s}" for s in equipment_check.RESULTS} | {f"summary.{s}" for s in equipment_check.RESULTS}
    built |= {f"steps.{p}" for p in ("android", "ios", "windows", "mac", "other")}
    missing = sorted((literal | built) - set(table))
    assert literal and not missing, missing
