"""What the outside review found in the workspace and the waiting room, each through the real app:
a replaced link that kept working, a room address after its window, appointments in year 9999 or in a
clock change's gap, and a completed invitation that could still be cancelled (R3, R10, R12, R22, R65)."""
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from patientapp import invitations, knocks
from patientapp.models import Invitation, Knock, utcnow
from tests.integration.helpers import create_invitation, fresh, knocking_patient, link_token

OSLO = ZoneInfo("Europe/Oslo")


def _invitation(db, token):

    fresh(db)
    return invitations.find_by_token(db, token)


def _count(db) -> int:
    fresh(db)
    return db.scalar(select(func.count()).select_from(Invitation))


def _device_link(patient, path: str) -> str:
    """The signed /d/ link inside the patient's calendar entry."""
    body = patient.get(path).get_data(as_text=True).replace("\r\n ", "")
    return re.search(r"(/d/[A-Za-z0-9._:-]+)", body).group(1)


def test_a_replaced_link_ends_its_sessions_and_its_calendar_links(sign_in, db, app):
    """The wrong-number case: after "Make a new link" nothing made from the old one opens anything."""
    staff = sign_in()
    token = link_token(create_invitation(staff))
    invitation = _invitation(db, token)
    holder = app.test_client()  # the person at the wrong number
    assert holder.get(f"/i/{token}").status_code == 303
    calendar_link = _device_link(holder, "/visit/calendar.ics")
    assert app.test_client().get(calendar_link).status_code == 303  # works before the new link
    new_token = link_token(staff.form(f"/staff/invitations/{invitation.id}/new-link", {}))
    assert holder.get("/visit").status_code == 410
    assert holder.get("/visit/wait").status_code == 410
    assert holder.get("/api/visit/status").status_code == 410
    assert app.test_client().get(calendar_link).status_code == 410
    patient = app.test_client()
    assert patient.get(f"/i/{new_token}").status_code == 303 and patient.get("/visit").status_code == 200
    fresh_link = _device_link(patient, "/visit/calendar.ics")
    assert fresh_link != calendar_link and app.test_client().get(fresh_link).status_code == 303


def test_a_replaced_link_ends_the_knock_of_whoever_had_it(app, sign_in, invitation_factory, clinic, db):
    invitation, holder, csrf = knocking_patient(app, invitation_factory, clinic, db)
    knocked = holder.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION},
                          headers={"X-CSRFToken": csrf})
    assert knocked.status_code == 201
    staff = sign_in()
    assert staff.form(f"/staff/invitations/{invitation.id}/new-link", {}).status_code == 200
    assert holder.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION},
                       headers={"X-CSRFToken": csrf}).status_code == 410
    fresh(db)
    assert db.get(Knock, knocked.get_json()["knock"]).state == knocks.DENIED
    board = staff.get("/staff/api/dashboard").get_json()
    assert board["knocking"] == 0


def test_the_room_address_leaves_the_status_when_the_hand_off_window_ends(app, sign_in, invitation_factory, clinic, db):
    invitation, patient, csrf = knocking_patient(app, invitation_factory, clinic, db)
    knock_id = patient.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION},
                            headers={"X-CSRFToken": csrf}).get_json()["knock"]
    assert sign_in().api(f"/staff/api/knocks/{knock_id}/admit").status_code == 200
    assert "room_url" in patient.get("/api/visit/status").get_json()
    db.execute(text("UPDATE knocks SET handoff_expires_at = :t WHERE id = :k"),
               {"t": utcnow() - timedelta(seconds=1), "k": knock_id})
    db.commit()
    response = patient.get("/api/visit/status")
    status = response.get_json()
    assert status["state"] == "joined" and "room_url" not in status and "rejoin_url" not in status
    assert "join.nhn.no" not in response.get_data(as_text=True)
    assert patient.get("/visit/go").headers["Location"] == "/visit/wait"


def test_after_the_hand_off_the_patient_can_knock_again_and_staff_see_it(app, sign_in, invitation_factory, clinic, db):
    invitation, patient, csrf = knocking_patient(app, invitation_factory, clinic, db)
    knock = {"consent_version": knocks.CONSENT_VERSION}
    first = patient.post("/api/visit/knock", json=knock, headers={"X-CSRFToken": csrf}).get_json()["knock"]
    staff = sign_in()
    staff.api(f"/staff/api/knocks/{first}/admit")
    assert patient.get("/visit/go").status_code == 303
    joined = patient.get("/api/visit/status?lang=nb").get_json()
    assert joined["state"] == "joined" and joined["rejoin_url"] == "/visit/go"
    assert re.fullmatch(r"\d{2}:\d{2}", joined["admitted_at"])
    again = patient.post("/api/visit/knock", json=knock, headers={"X-CSRFToken": csrf})
    assert again.status_code == 201 and again.get_json()["knock"] != first
    assert again.get_json()["state"] == "waiting"
    row = next(r for r in staff.get("/staff/api/dashboard?lang=en").get_json()["rows"]
               if r["invitation_id"] == invitation.id)
    assert row["state"] == "knocking" and row["state_label"] == "Knocking again (was let in)"
    assert "admit" in row["actions"]


def _form_error(response) -> str:
    return unescape(" ".join(re.findall(r'class="pa-error"[^>]*>(.*?)</', response.get_data(as_text=True), re.S)))


@pytest.mark.parametrize("day, message", [
    ("9999-12-31", "Choose a date at most 365 days from today."),
    ("9000-01-01", "Choose a date at most 365 days from today."),
    ("0001-01-01", "This date has passed."),
    ("yesterday", "This date has passed."),
    ("in 366 days", "Choose a date at most 365 days from today."),
])
def test_dates_outside_today_and_the_horizon_are_refused(sign_in, db, day, message):
    staff = sign_in()
    staff.get("/staff/?lang=en")
    today = utcnow().astimezone(OSLO).date()
    day = {"yesterday": today - timedelta(days=1), "in 366 days": today + timedelta(days=366)}.get(day, day)
    before = _count(db)
    response = create_invitation(staff, date=str(day), time="10:00")
    assert response.status_code == 422 and message in _form_error(response)
    assert _count(db) == before
    token = link_token(create_invitation(staff))
    invitation = _invitation(db, token)
    moved = staff.form(f"/staff/invitations/{invitation.id}/edit", {
        "date": str(day), "time": "10:00", "duration": "30", "language": "nb", "label": "KN", "room": "room-1"})
    assert moved.status_code == 422 and message in _form_error(moved)
    assert _invitation(db, token).starts_at == invitation.starts_at


def test_the_horizon_is_a_setting(sign_in, app):
    app.config["INVITATION_HORIZON_DAYS"] = 30
    staff = sign_in()
    staff.get("/staff/?lang=en")
    far = utcnow().astimezone(OSLO).date() + timedelta(days=31)
    response = create_invitation(staff, date=str(far), time="10:00")
    assert response.status_code == 422 and "at most 30 days" in _form_error(response)
    assert create_invitation(staff, date=str(far - timedelta(days=1)), time="10:00").status_code == 200


def _next_clock_change(month: int) -> date:
    """The next last Sunday of `month` (March: clocks forward, October: back) that lies ahead."""
    today = utcnow().astimezone(OSLO).date()
    for year in (today.year, today.year + 1):
        last = date(year, month, 31)
        sunday = last - timedelta(days=(last.weekday() + 1) % 7)
        if sunday > today + timedelta(days=1):
            return sunday
    raise AssertionError("no clock change within two years")


@pytest.mark.parametrize("month, words", [
    (3, "the clocks go forward: the times from 02:00 to 03:00 do not exist"),
    (10, "the clocks go back: the times from 02:00 to 03:00 happen twice"),
])
def test_times_the_clocks_skip_or_repeat_are_refused(sign_in, db, month, words):
    staff = sign_in()
    staff.get("/staff/?lang=en")
    day = _next_clock_change(month)
    before = _count(db)
    response = create_invitation(staff, date=str(day), time="02:30")
    assert response.status_code == 422 and words in _form_error(response)
    assert _count(db) == before
    fine = create_invitation(staff, date=str(day), time="03:30")
    assert fine.status_code == 200
    invitation = _invitation(db, link_token(fine))
    expected = datetime.combine(day, datetime.min.time().replace(hour=3, minute=30), tzinfo=OSLO)
    assert invitation.starts_at == expected.astimezone(UTC)


@pytest.mark.parametrize("state", [invitations.COMPLETED, invitations.WITHDRAWN, invitations.CANCELLED,
                                   invitations.EXPIRED])
def test_an_invitation_that_is_over_cannot_be_cancelled_or_changed(sign_in, db, state):
    staff = sign_in()
    token = link_token(create_invitation(staff))
    invitation = _invitation(db, token)
    db.execute(text("UPDATE invitations SET state = :s WHERE id = :i"), {"s": state, "i": invitation.id})
    db.commit()
    page = staff.get(f"/staff/invitations/{invitation.id}").get_data(as_text=True)
    assert "/revoke" not in page and "/new-link" not in page and "/edit" not in page
    assert staff.form(f"/staff/invitations/{invitation.id}/revoke", {}).status_code == 409
    assert staff.form(f"/staff/invitations/{invitation.id}/new-link", {}).status_code == 409
    assert staff.get(f"/staff/invitations/{invitation.id}/edit").status_code == 409
    after = _invitation(db, token)
    assert (after.state, after.link_generation) == (state, 1)


@pytest.mark.parametrize("path", [
    "/%5Cevil.example/x", "/%5C%5Cevil.example/x", "/x//evil.example", "/%2F%2Fevil.example/x",
    "/\\evil.example", "/guides/%5Cevil.example", "/guides/..%5C..%5Cevil", "/staff/enrol/%5Cevil.example",
    "/i/%5Cevil.example", "/d/%5Cevil.example", "/visit/%5C%5Cevil.example", "/static/%5Cevil.example/x.css",
])
def test_every_link_on_an_error_page_stays_on_this_host(client, app, path):
    """The review: the language switcher built "/\\evil.example/x?lang=nb" from the raw path."""
    from urllib.parse import urljoin, urlsplit

    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    response = client.get(path)
    assert response.status_code >= 400
    page = response.get_data(as_text=True)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs, "the error page has links (the switcher, the way home)"
    # "#main" stays on this very page; "tel:113" calls the emergency number.
    for href in (h for h in hrefs if not h.startswith(("#", "tel:"))):
        # Browsers read "\" as "/" in http(s) URLs (WHATWG URL): "/\evil.example" is "//evil.example".
        target = urlsplit(urljoin(base + "/", unescape(href).replace("\\", "/")))
        assert (target.scheme, target.netloc) == tuple(urlsplit(base)[:2]), href


@pytest.mark.parametrize("label", ["010190-12345", "01.01.90 12345", "0101901234 5", "410190 12345"])
def test_the_form_refuses_a_national_id_number_however_it_is_written(sign_in, db, label):
    staff = sign_in()
    staff.get("/staff/?lang=en")
    before = _count(db)
    response = create_invitation(staff, label=label)
    assert response.status_code == 422 and "Do not write a national ID number" in _form_error(response)
    assert _count(db) == before
    assert create_invitation(staff, label="AB 12").status_code == 200


def _other_clinic_admin(app, db):
    from patientapp.models import Clinic
    from tests.conftest import staff_session
    from tests.integration.helpers import PEXIP, StaffClient

    fresh(db)  # a write after reading: begin anew (SQLite would find the old read's snapshot stale)
    other = Clinic(slug="other", display_name="Sørby legekontor", phone="+4787654321", time_zone="Europe/Oslo",
                   room_settings={"rooms": [PEXIP]})
    db.add(other)
    db.commit()
    person, token = staff_session(db, other.id, "admin")
    return StaffClient(app, person.id, token)


def test_the_outbox_shows_only_the_own_clinics_messages_and_only_to_admins(app, sign_in, db):
    """The review: every clinic's SMS, with working links, for any signed-in staff member."""
    mine = sign_in()
    token = link_token(create_invitation(mine))
    invitation = _invitation(db, token)
    assert mine.form(f"/staff/invitations/{invitation.id}/sms",
                     {"phone": "912 34 567", "token": token}).status_code == 200
    assert token in mine.get("/staff/outbox").get_data(as_text=True)
    other = _other_clinic_admin(app, db)
    page = other.get("/staff/outbox")
    assert (page.status_code == 200 and token not in page.get_data(as_text=True)
            and "/i/" not in page.get_data(as_text=True))
    nurse = sign_in(role="staff")
    assert nurse.get("/staff/outbox").status_code == 403
    assert "/staff/outbox" not in nurse.get("/staff/").get_data(as_text=True)


def test_the_outbox_refuses_to_run_on_a_public_https_address(app, sign_in, db):
    staff = sign_in()
    token = link_token(create_invitation(staff))
    invitation = _invitation(db, token)
    app.config["PUBLIC_BASE_URL"] = "https://video.clinic.example"
    app.config["EXTRA_HOSTS"] = "localhost"
    staff.get("/staff/?lang=en")
    assert staff.get("/staff/outbox").status_code == 404
    assert "/staff/outbox" not in staff.get("/staff/").get_data(as_text=True)
    refused = staff.form(f"/staff/invitations/{invitation.id}/sms", {"phone": "912 34 567", "token": token})
    assert refused.status_code == 502 and "The SMS could not be sent" in unescape(refused.get_data(as_text=True))
    from pathlib import Path
    outbox = Path(app.instance_path, "sms-outbox.jsonl")
    assert not outbox.exists() or token not in outbox.read_text()
    app.config["SMS_OUTBOX_ALLOWED"] = True  # a test host that says so
    assert staff.get("/staff/outbox").status_code == 200


# --- item 4: enrolment links and passkeys -----------------------------------------------------------

def _enrolment_token(response) -> str:
    return re.search(r"/staff/enrol/([A-Za-z0-9_-]+)", response.get_data(as_text=True)).group(1)


def test_a_new_enrolment_link_ends_the_earlier_one(sign_in, app):
    """The review: every 'new link' left the earlier ones working for their hour."""
    admin = sign_in()
    first = _enrolment_token(admin.form("/staff/team", {"email": "ola@example.no", "display_name": "Ola",
                                                        "role": "staff", "language": "nb"}))
    from patientapp.models import Staff
    with app.extensions["patientapp.db"].sessions() as db:
        ola = db.scalar(select(Staff).where(Staff.email == "ola@example.no"))
    second = _enrolment_token(admin.form(f"/staff/team/{ola.id}/link", {}))
    assert first != second
    assert app.test_client().get(f"/staff/enrol/{first}").status_code == 410
    assert app.test_client().get(f"/staff/enrol/{second}").status_code == 303


def test_using_an_enrolment_link_ends_the_persons_other_links(app, db, clinic):
    from patientapp import staff_access
    from patientapp.models import Enrolment, Staff

    person = Staff(clinic_id=clinic.id, email="x@example.no", display_name="X", role="staff",
                   user_handle=staff_access.new_user_handle())
    db.add(person)
    db.flush()
    now = utcnow()
    # Two live links, as a race between two administrators could leave them.
    links = [Enrolment(staff=person, token_hash=str(n) * 64, created_at=now, expires_at=now + timedelta(hours=1))
             for n in (1, 2)]
    db.add_all(links)
    db.flush()
    staff_access.use_enrolment(db, links[0], now)
    db.commit()
    assert db.scalars(select(Enrolment.id).where(Enrolment.staff_id == person.id)).all() == [links[0].id]


def test_an_admin_removes_a_lost_passkey_and_the_person_is_signed_out(sign_in, db, app):
    from patientapp.models import AuditEvent, Passkey

    admin = sign_in()
    nurse = sign_in(role="staff")
    db.add(Passkey(staff_id=nurse.staff_id, credential_id=b"n" * 16, public_key=b"k" * 32, name="Lost phone"))
    db.commit()
    passkey_id = db.scalar(select(Passkey.id).where(Passkey.staff_id == nurse.staff_id))
    page = admin.get(f"/staff/team/{nurse.staff_id}/passkeys?lang=en").get_data(as_text=True)
    assert "Lost phone" in page
    assert nurse.get("/staff/").status_code == 200
    # Only an administrator, and only for a passkey of that person.
    assert nurse.form(f"/staff/team/{nurse.staff_id}/passkeys/{passkey_id}/delete", {}).status_code == 403
    assert admin.form(f"/staff/team/{admin.staff_id}/passkeys/{passkey_id}/delete", {}).status_code == 404
    assert admin.form(f"/staff/team/{nurse.staff_id}/passkeys/{passkey_id}/delete", {}).status_code == 303
    assert nurse.get("/staff/").status_code == 302
    fresh(db)
    assert db.get(Passkey, passkey_id) is None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "passkey-remove")) is not None
    # One's own passkeys only on one's own page, which never removes the last one.
    fresh(db)
    db.add(Passkey(staff_id=admin.staff_id, credential_id=b"a" * 16, public_key=b"k" * 32, name="Only key"))
    db.commit()
    own = db.scalar(select(Passkey.id).where(Passkey.staff_id == admin.staff_id))
    assert admin.get(f"/staff/team/{admin.staff_id}/passkeys").headers["Location"].endswith("/staff/passkeys")
    assert admin.form(f"/staff/team/{admin.staff_id}/passkeys/{own}/delete", {}).status_code == 409


def test_a_disabled_person_can_be_enabled_again(sign_in, db):
    from patientapp.models import Staff

    admin = sign_in()
    nurse = sign_in(role="staff")
    admin.form(f"/staff/team/{nurse.staff_id}/disable", {})
    assert admin.form(f"/staff/team/{nurse.staff_id}/link", {}).status_code == 409
    page = admin.get("/staff/team?lang=en").get_data(as_text=True)
    assert f'action="/staff/team/{nurse.staff_id}/enable"' in page
    assert admin.form(f"/staff/team/{nurse.staff_id}/enable", {}).status_code == 303
    fresh(db)
    assert db.get(Staff, nurse.staff_id).disabled_at is None
    # Disabling ended the session; enabling does not bring it back.
    assert nurse.get("/staff/").status_code == 302
    assert admin.form(f"/staff/team/{nurse.staff_id}/link", {}).status_code == 200
