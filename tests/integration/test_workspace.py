"""The clinic's workspace through Flask's client: access, CSRF, invitations, SMS, letter, rooms, team,
the waiting room's API and the audit trail (R3, R6–R13, R15, R22, R25–R27, R32, R49, R52, R53)."""
import json
import re
from datetime import timedelta, timezone
from html import unescape

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, text

from patientapp import invitations, knocks, links, sms, staff_access
from patientapp.models import AuditEvent, Clinic, Invitation, Knock, Staff, utcnow
from tests.integration.helpers import create_invitation, fresh, knocking_patient, link_token


def test_staff_pages_need_a_session(client):
    for path in ("/staff/", "/staff/invitations/new", "/staff/team", "/staff/rooms", "/staff/passkeys"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/staff/login"), path
    assert client.get("/staff/api/dashboard").status_code == 401
    assert client.post("/staff/api/knocks/1/admit").status_code == 400  # no CSRF token: refused before anything else
    login = client.get("/staff/login")
    assert login.status_code == 200 and login.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in login.headers["Content-Security-Policy"]


def test_no_password_or_otp_routes(app):
    rules = [r.rule for r in app.url_map.iter_rules()]
    assert not [r for r in rules if "password" in r or "otp" in r]


@pytest.mark.parametrize("path", ["/staff/invitations/1/revoke", "/staff/invitations/1/sms", "/staff/logout",
                                  "/staff/api/knocks/1/admit", "/staff/api/knocks/1/deny", "/staff/team/1/disable"])
def test_state_changes_refuse_get(sign_in, path):
    assert sign_in().get(path).status_code == 405


def test_forms_and_api_need_csrf(sign_in):
    staff = sign_in()
    assert staff.client.post("/staff/invitations/new", data={"date": "2026-12-01"}).status_code == 400
    assert staff.client.post("/staff/api/knocks/1/admit", json={}).status_code == 400


def test_create_invitation_shows_link_sms_qr_once(sign_in, db):
    staff = sign_in()
    response = create_invitation(staff)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    token = link_token(response)
    invitation = invitations.find_by_token(db, token)
    assert invitation.language == "ar" and invitation.label == "KN" and invitation.room_ref == "room-1"
    sms_text = re.search(r'<p class="pa-sms"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "KN" not in sms_text and "join.nhn.no" not in sms_text and "Nordby helsesenter" in sms_text
    # The count shown is the one for the text shown (UCS-2 for Arabic, GSM-7 for Latin scripts).
    encoding, count, _ = sms.segments(unescape(sms_text).strip())
    assert f"{encoding}" in html and str(count) in html
    assert "<svg" in html
    # Only the hash is kept: the link cannot be shown again.
    assert token not in staff.get(f"/staff/invitations/{invitation.id}").get_data(as_text=True)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "invitation-create")).invitation_id == invitation.id


@pytest.mark.parametrize("overrides, message", [
    ({"label": "12345678901"}, "national ID"),
    ({"label": "x" * 21}, "20"),
    ({"duration": "0"}, "between 5 and 240"),
    ({"date": "not-a-date"}, None),
    ({"room": "no-such-room"}, None),
    ({"language": "de"}, None),
])
def test_bad_invitations_are_refused_and_nothing_is_stored(sign_in, db, overrides, message):
    staff = sign_in()
    staff.csrf  # noqa: B018
    staff.app.config["BABEL_DEFAULT_LOCALE"] = "en"
    response = staff.client.post("/staff/invitations/new?lang=en", data={
        **{"date": "2026-12-01", "time": "10:00", "duration": "30", "language": "nb", "label": "", "room": "room-1"},
        **overrides, "csrf_token": staff.csrf})
    assert response.status_code == 422
    if message:
        assert message in response.get_data(as_text=True)
    assert db.execute(text("SELECT COUNT(*) FROM invitations")).scalar() == 0


def test_sms_is_sent_explicitly_and_the_number_is_forgotten(sign_in, db, app):
    # The outbox file lives in the session's instance folder: start from an empty one (browser tests
    # earlier in the session may have sent messages for a clinic with the same id).
    from pathlib import Path

    Path(app.instance_path, "sms-outbox.jsonl").unlink(missing_ok=True)
    staff = sign_in()
    response = create_invitation(staff, language="nb")
    token = link_token(response)
    invitation = invitations.find_by_token(db, token)
    assert staff.get("/staff/outbox").get_data(as_text=True).count("<tr>") == 2  # header + "no messages"
    bad = staff.form(f"/staff/invitations/{invitation.id}/sms", {"phone": "abc", "token": token})
    assert bad.status_code == 422
    forged = staff.form(f"/staff/invitations/{invitation.id}/sms", {"phone": "91234567", "token": links.new_token()})
    assert forged.status_code == 400
    sent = staff.form(f"/staff/invitations/{invitation.id}/sms", {"phone": "912 34 567", "token": token})
    assert sent.status_code == 200 and "567" in sent.get_data(as_text=True)
    outbox = staff.get("/staff/outbox").get_data(as_text=True)
    assert "91234567" not in outbox and "567" in outbox and f"/i/{token}" in outbox
    fresh(db)  # an old snapshot would make the "not in" below pass vacuously
    dump = " ".join(str(row) for table in ("invitations", "audit_events")
                    for row in db.execute(text(f"SELECT * FROM {table}")))
    assert "91234567" not in dump and "4791234567" not in dump


def test_letter_has_the_link_but_no_room_details(sign_in, db):
    staff = sign_in()
    token = link_token(create_invitation(staff, language="so"))
    invitation = invitations.find_by_token(db, token)
    letter = staff.form(f"/staff/invitations/{invitation.id}/letter", {"token": token})
    html = letter.get_data(as_text=True)
    assert letter.status_code == 200 and 'lang="so"' in html and f"/i/{token}" in html and "<svg" in html
    for secret in ("join.nhn.no", "123456", "pin", "hostRoomUrl", "KN"):
        assert secret not in html.replace(f"/i/{token}", ""), secret


def test_revoke_and_new_link(sign_in, db, app):
    staff = sign_in()
    token = link_token(create_invitation(staff))
    invitation = invitations.find_by_token(db, token)
    renewed = staff.form(f"/staff/invitations/{invitation.id}/new-link", {})
    new_token = link_token(renewed)
    patient = app.test_client()
    assert patient.get(f"/i/{token}").status_code == 410
    assert patient.get(f"/i/{new_token}").status_code == 303
    staff.form(f"/staff/invitations/{invitation.id}/revoke", {})
    assert app.test_client().get(f"/i/{new_token}").status_code == 410
    assert patient.get("/visit").status_code == 410
    fresh(db)
    actions = [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["invitation-new-link", "invitation-revoke"]


def test_reschedule_keeps_the_link(sign_in, db, app):
    staff = sign_in()
    token = link_token(create_invitation(staff))
    invitation = invitations.find_by_token(db, token)
    later = (utcnow() + timedelta(days=2)).astimezone(timezone(timedelta(hours=1)))
    response = staff.form(f"/staff/invitations/{invitation.id}/edit", {
        "date": later.strftime("%Y-%m-%d"), "time": "09:30", "duration": "45", "language": "pl", "label": "KN",
        "room": "room-1"})
    assert response.status_code == 303
    fresh(db)
    moved = db.get(Invitation, invitation.id)
    assert moved.language == "pl" and (moved.ends_at - moved.starts_at) == timedelta(minutes=45)
    assert app.test_client().get(f"/i/{token}").status_code == 303


def test_other_clinics_invitations_are_invisible(sign_in, db, invitation_factory):
    staff = sign_in()
    foreign, _ = invitation_factory.create()  # the "test" clinic slug is shared, so make a second clinic
    other = Clinic(slug="other", display_name="Other", phone="+4712345679", time_zone="Europe/Oslo", room_settings={})
    db.add(other)
    db.flush()
    db.execute(text("UPDATE invitations SET clinic_id = :c WHERE id = :i"), {"c": other.id, "i": foreign.id})
    db.commit()
    assert staff.get(f"/staff/invitations/{foreign.id}").status_code == 404
    assert staff.form(f"/staff/invitations/{foreign.id}/revoke", {}).status_code == 404


def test_team_enrolment_and_disabling_end_sessions(sign_in, db, app):
    admin = sign_in("admin")
    colleague = sign_in("staff")
    assert colleague.get("/staff/team").status_code == 403
    assert colleague.get("/staff/rooms").status_code == 403
    response = admin.form("/staff/team", {"email": "ola@example.no", "display_name": "Ola", "role": "staff",
                                          "language": "nb"})
    link = re.search(r"/staff/enrol/([A-Za-z0-9_-]+)", response.get_data(as_text=True)).group(1)
    first = app.test_client()
    assert first.get(f"/staff/enrol/{link}").headers["Location"].endswith("/staff/enrol")
    assert admin.form("/staff/team", {"email": "ola@example.no", "display_name": "Ola", "role": "staff",
                                      "language": "nb"}).status_code == 422
    assert colleague.get("/staff/").status_code == 200
    admin.form(f"/staff/team/{colleague.staff_id}/disable", {})
    assert colleague.get("/staff/").status_code == 302
    assert colleague.get("/staff/api/dashboard").status_code == 401
    fresh(db)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "staff-disable")) is not None


def test_enrolment_links_die_after_an_hour(app, db, clinic):
    person = Staff(clinic_id=clinic.id, email="x@example.no", display_name="X", role="staff",
                   user_handle=staff_access.new_user_handle())
    db.add(person)
    db.flush()
    token = staff_access.new_enrolment(db, person, utcnow() - timedelta(minutes=61))
    db.commit()
    response = app.test_client().get(f"/staff/enrol/{token}")
    assert response.status_code == 410


def test_rooms_are_checked_when_saved(sign_in, db):
    admin = sign_in()
    ok = admin.form("/staff/rooms", {"provider": "whereby", "key": "wb", "label": "Whereby", "subdomain": "nordby",
                                     "room": "venterom"})
    assert ok.status_code == 303
    for bad in ({"provider": "template", "key": "evil", "label": "E", "template": "https://evil.example/{name}"},
                {"provider": "template", "key": "http", "label": "H", "template": "http://join.nhn.no/x"},
                {"provider": "pexip", "key": "room-1", "label": "dup", "node": "join.nhn.no", "alias": "1"}):
        assert admin.form("/staff/rooms", bad).status_code == 422
    fresh(db)
    clinic = db.scalar(select(Clinic).where(Clinic.slug == "test"))
    assert [r["key"] for r in clinic.room_settings["rooms"]] == ["room-1", "wb"]
    admin.form("/staff/rooms", {"provider": "pexip", "key": "open", "label": "Åpent rom", "node": "join.nhn.no",
                                "alias": "654321"})  # autolock unticked
    assert "autolås" in admin.get("/staff/").get_data(as_text=True)





def test_room_address_only_after_admission(app, sign_in, invitation_factory, clinic, db):
    invitation, patient, csrf = knocking_patient(app, invitation_factory, clinic, db)
    assert patient.post("/api/visit/knock", json={}, headers={"X-CSRFToken": csrf}).status_code == 400
    knocked = patient.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION},
                           headers={"X-CSRFToken": csrf})
    assert knocked.status_code == 201
    again = patient.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION},
                         headers={"X-CSRFToken": csrf})
    assert again.get_json()["knock"] == knocked.get_json()["knock"]
    status = patient.get("/api/visit/status")
    body = status.get_data(as_text=True)
    assert status.get_json()["state"] == "waiting" and "room_url" not in status.get_json()
    assert "join.nhn.no" not in body and "whereby" not in body and "123456" not in body
    assert "join.nhn.no" not in patient.get("/visit/wait").get_data(as_text=True).split("<main", 1)[1]
    staff = sign_in()
    board = staff.get("/staff/api/dashboard").get_json()
    row = next(r for r in board["rows"] if r["invitation_id"] == invitation.id)
    assert row["state"] == "knocking" and "admit" in row["actions"] and board["knocking"] == 1
    page = staff.get("/staff/?lang=en").get_data(as_text=True)
    assert "<title>(1) Knocking – Today's patients – Workspace</title>" in page
    assert 'data-title-base="Today\'s patients – Workspace"' in page
    knock_id = row["knock_id"]
    assert staff.api(f"/staff/api/knocks/{knock_id}/message", {"message": "late-5"}).status_code == 200
    assert patient.get("/api/visit/status").get_json()["message"] == "late-5"
    assert staff.api(f"/staff/api/knocks/{knock_id}/admit").status_code == 200
    assert staff.api(f"/staff/api/knocks/{knock_id}/admit").status_code == 409  # replay
    admitted = patient.get("/api/visit/status").get_json()
    assert admitted["state"] == "admitted"
    assert admitted["room_url"].startswith("https://join.nhn.no/webapp/conference/123456?")
    assert "name=Pasient" in admitted["room_url"] and "KN" not in admitted["room_url"]
    go = patient.get("/visit/go")
    assert go.status_code == 303 and go.headers["Location"] == admitted["room_url"]
    # The same browser may go back while the hand-off lasts (a dropped call); it is no room address for
    # another device that opens the same link (R12).
    assert patient.get("/visit/go").headers["Location"] == admitted["room_url"]
    joined = patient.get("/api/visit/status").get_json()
    assert joined["state"] == "joined" and joined["rejoin_url"] == "/visit/go" and "room_url" not in joined
    other = app.test_client()
    other.get(f"/i/{patient.link_token}")
    assert other.get("/visit/go").headers["Location"] == "/visit/wait"
    assert "rejoin_url" not in other.get("/api/visit/status").get_json()
    fresh(db)
    events = [(e.action, e.result) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert ("knock-message", "ok") in events
    assert events.count(("knock-admit", "ok")) == 1 and ("knock-admit", "refused") in events


def test_lapse_and_withdraw_through_the_api(app, sign_in, invitation_factory, clinic, db):
    app.config["KNOCK_LAPSE_SECONDS"] = 0
    invitation, patient, csrf = knocking_patient(app, invitation_factory, clinic, db)
    patient.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION}, headers={"X-CSRFToken": csrf})
    assert patient.get("/api/visit/status").get_json()["state"] == "lapsed"
    assert sign_in().get("/staff/api/dashboard").get_json()["rows"][0]["state"] == "lapsed"
    confirm = patient.get("/visit/withdraw")
    assert confirm.status_code == 200
    withdrawn = patient.post("/visit/withdraw", data={"csrf_token": csrf})
    assert withdrawn.status_code == 303 and withdrawn.headers["Location"] == "/visit/withdrawn"
    page = patient.get("/visit/withdrawn").get_data(as_text=True)
    assert "tel:+4712345678" in page
    fresh(db)
    assert db.get(Invitation, invitation.id).state == invitations.WITHDRAWN
    assert patient.get("/api/visit/status").get_json()["state"] == "withdrawn"


def test_the_dashboard_records_a_lapse_it_finds(app, sign_in, invitation_factory, clinic, db):
    """The dashboard, asked before the patient's page, lapses the knock itself (under the invitation's lock)."""
    app.config["KNOCK_LAPSE_SECONDS"] = 0
    invitation, patient, csrf = knocking_patient(app, invitation_factory, clinic, db)
    patient.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION}, headers={"X-CSRFToken": csrf})
    assert sign_in().get("/staff/api/dashboard").get_json()["rows"][0]["state"] == "lapsed"
    fresh(db)
    assert db.get(Invitation, invitation.id).state == invitations.OPENED
    assert [k.state for k in db.scalars(select(Knock).where(Knock.invitation_id == invitation.id))] == [knocks.LAPSED]


def test_knocking_too_early_is_refused(app, invitation_factory, clinic, db):
    invitation, token = invitation_factory.create(starts_in=timedelta(hours=2))
    patient = app.test_client()
    patient.get(f"/i/{token}")
    html = patient.get("/visit/wait").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    assert 'data-too-early="1"' in html
    response = patient.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION},
                            headers={"X-CSRFToken": csrf})
    assert response.status_code == 409


def test_staff_cookie_attributes_and_logout(sign_in, db):
    staff = sign_in()
    response = staff.form("/staff/logout", {})
    assert response.status_code == 303
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert staff.get("/staff/").status_code == 302
    fresh(db)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "logout")) is not None


def test_audit_rows_have_utc_times_and_no_secrets(sign_in, db):
    staff = sign_in()
    token = link_token(create_invitation(staff))
    fresh(db)
    events = db.scalars(select(AuditEvent)).all()
    assert events
    for event in events:
        assert event.at.tzinfo is not None and event.at.utcoffset() == timedelta(0)
        assert token not in json.dumps([event.action, event.result, event.detail])


@pytest.mark.parametrize("lang", ["nb", "en", "ar", "pl", "so", "ur"])
def test_every_workspace_page_in_every_language(sign_in, app, invitation_factory, clinic, db, lang):
    from tests.pages import assert_page_ok

    staff = sign_in()
    token = link_token(create_invitation(staff, language=lang))
    invitation = invitations.find_by_token(db, token)
    for path in ("/staff/", "/staff/invitations/new", f"/staff/invitations/{invitation.id}",
                 f"/staff/invitations/{invitation.id}/edit", "/staff/team", "/staff/rooms", "/staff/passkeys",
                 "/staff/emergency", "/staff/outbox"):
        response = staff.get(f"{path}?lang={lang}")
        assert response.status_code == 200, path
        assert_page_ok(response, lang)
        assert response.headers["Cache-Control"] == "no-store"
    assert_page_ok(app.test_client().get(f"/staff/login?lang={lang}"), lang)
    patient = app.test_client()
    patient.get(f"/i/{token}")
    for path in ("/visit/wait", "/visit/withdraw"):
        assert_page_ok(patient.get(f"{path}?lang={lang}"), lang)


def test_dashboard_always_shows_the_emergency_routine(sign_in, app):
    from pathlib import Path

    html = sign_in().get("/staff/?lang=en").get_data(as_text=True)
    assert "If the video fails" in html and 'href="/staff/emergency"' in html
    doc = Path(app.root_path).parent / "docs/emergency.md"
    assert doc.is_file() and len(doc.read_text()) > 500 and "TODO" not in doc.read_text()


def test_dashboard_reminds_staff_to_identify_the_patient(sign_in):
    """R13: the knock list shows only the staff's label, so staff must identify the patient on camera."""
    html = sign_in().get("/staff/?lang=en").get_data(as_text=True)
    assert 'class="pa-identify"' in html and "identify the patient" in html


def test_the_dashboard_row_is_rendered_in_one_place(app, sign_in, invitation_factory, clinic, db):
    """The page and the script's refresh show the same row from one template: the message sent, the
    buttons with their own addresses (the script's copy lacked nothing; the page's lacked these)."""
    invitation, patient, csrf = knocking_patient(app, invitation_factory, clinic, db)
    patient.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION}, headers={"X-CSRFToken": csrf})
    staff = sign_in()
    knock_id = db.scalar(select(Knock.id).where(Knock.invitation_id == invitation.id))
    staff.api(f"/staff/api/knocks/{knock_id}/message", {"message": "late-10"})
    page = BeautifulSoup(staff.get("/staff/?lang=en").get_data(as_text=True), "html.parser").select_one(".pa-js-rows")
    fragment = BeautifulSoup(staff.get("/staff/api/dashboard?lang=en").get_json()["rowsHtml"], "html.parser")
    for rows in (page, fragment):
        row = rows.select_one(f"li[data-knock='{knock_id}']")
        assert "About 10 minutes late" in row.select_one(".pa-appt__state").get_text()
        assert row.select_one("button[data-action=admit]")["data-url"] == f"/staff/api/knocks/{knock_id}/admit"
        assert [o["value"] for o in row.select("select option")] == ["late-5", "late-10", "late-15", "will-call"]
    assert str(page.select_one("li")) == str(fragment.select_one("li"))
