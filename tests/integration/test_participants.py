"""Everyone who takes part (participants.py, issue 16): staff add a relative, an interpreter or a
home-care nurse to the patient's appointment; each has their own link, code, language, page, knock
and hand-off; only the patient withdraws, and then the others are told the appointment is cancelled;
a removed participant's link and sessions end at once."""
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from patientapp import knocks
from patientapp.models import AuditEvent, Invitation, utcnow
from tests.integration.helpers import create_invitation, fresh, link_token

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
H1 = re.compile(r"<h1>(.*?)</h1>", re.S)


def _appointment(staff, db, **form):
    """A patient's appointment (Somali, in ten minutes) and the patient's link token."""
    local = (utcnow() + timedelta(minutes=10))
    from zoneinfo import ZoneInfo

    local = local.astimezone(ZoneInfo("Europe/Oslo"))
    token = link_token(create_invitation(staff, **{"language": "so", "date": local.strftime("%Y-%m-%d"),
                                                   "time": local.strftime("%H:%M"), "label": "Pas77", **form}))
    fresh(db)
    patient = db.scalar(select(Invitation).where(Invitation.party_id.is_(None)).order_by(Invitation.id.desc()))
    return patient, token


def _add(staff, patient_id, role="interpreter", language="nb", label="T1", **extra):
    return staff.form(f"/staff/invitations/{patient_id}/participants",
                      {"role": role, "language": language, "label": label, **extra})


def _open(app, token):
    client = app.test_client()
    assert client.get(f"/i/{token}").status_code == 303
    return client


def _knock(client):
    csrf = CSRF_META.search(client.get("/visit/wait").get_data(as_text=True)).group(1)
    answer = client.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION},
                         headers={"X-CSRFToken": csrf})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def _h1(response) -> str:
    return H1.search(response.get_data(as_text=True)).group(1).strip()


def test_each_participant_gets_their_own_link_code_and_page_in_their_own_language(app, sign_in, db):
    staff = sign_in()
    patient, patient_token = _appointment(staff, db)
    added = _add(staff, patient.id, "interpreter", "nb", "Tolk 1")
    assert added.status_code == 200
    body = added.get_data(as_text=True)
    assert _h1(added) == "Link for: Interpreter"
    # The result page is the participant's: their link, their code, their SMS in their language.
    interpreter_token = link_token(added)
    assert interpreter_token != patient_token
    assert "Videotime hos Nordby helsesenter" in body and "Their mobile number" in body
    code = re.search(r'pa-code-show"><bdi dir="ltr">([^<]+)</bdi>', body).group(1)

    interpreter = _open(app, interpreter_token)
    page = interpreter.get("/visit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="nb"' in html
    assert "Tolk" in html and "taushetsplikt" in html  # their role's page, in Norwegian
    assert 'href="/visit/withdraw"' not in html  # consent and withdrawal are the patient's
    assert "frikort" not in html  # and so is the co-payment
    patient_page = _open(app, patient_token).get("/visit").get_data(as_text=True)
    assert 'lang="so"' in patient_page and 'href="/visit/withdraw"' in patient_page
    # Nothing of the patient on the participant's pages: not their label.
    assert "Pas77" not in html

    # The typeable code opens the participant's own visit on another device.
    pc = app.test_client()
    typed = pc.post("/code", data={"code": code}, headers={"Origin": "http://localhost"})
    assert typed.status_code == 303
    assert "Tolk" in pc.get("/visit").get_data(as_text=True)

    nurse = _open(app, link_token(_add(staff, patient.id, "health-worker", "en", "HS")))
    nurse_page = nurse.get("/visit").get_data(as_text=True)
    assert "Checklist for health workers" in nurse_page and "head camera" in nurse_page
    relative = _open(app, link_token(_add(staff, patient.id, "relative", "pl", "")))
    assert 'lang="pl"' in relative.get("/visit").get_data(as_text=True)

    appointment_page = staff.get(f"/staff/invitations/{patient.id}").get_data(as_text=True)
    assert appointment_page.count('class="pa-appt pa-appt--list') == 3
    assert "Tolk 1" in appointment_page and "HS" in appointment_page
    fresh(db)
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "participant-add")) == 3


def test_a_wrong_participant_form_says_why_and_stores_nothing(app, sign_in, db):
    staff = sign_in()
    patient, _token = _appointment(staff, db)
    for form, message in (({"role": ""}, "Choose who joins."), ({"language": ""}, "Choose their language."),
                          ({"label": "010190 12345"}, "Do not write a national ID number"),
                          ({"role": "doctor"}, "Not a valid choice"),
                          ({"call_name": "x" * 41}, "The name is too long.")):
        answer = _add(staff, patient.id, **form)
        assert answer.status_code == 422 and message in answer.get_data(as_text=True), form
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Invitation)) == 1


def test_an_appointment_takes_at_most_six_others(app, sign_in, db):
    staff = sign_in()
    patient, _token = _appointment(staff, db)
    for number in range(6):
        assert _add(staff, patient.id, label=f"P{number}").status_code == 200
    refused = _add(staff, patient.id, label="P7")
    assert refused.status_code == 409 and "at most 6 other people" in refused.get_data(as_text=True)
    # A participant is not an appointment of their own: nobody joins them.
    fresh(db)
    member = db.scalar(select(Invitation).where(Invitation.party_id == patient.id))
    assert _add(staff, member.id).status_code == 409


def test_only_the_patient_withdraws_and_then_the_others_read_cancelled(app, sign_in, db):
    staff = sign_in()
    patient, patient_token = _appointment(staff, db)
    interpreter = _open(app, link_token(_add(staff, patient.id)))
    interpreter_token = link_token(_add(staff, patient.id, "relative", "ar", "R"))
    relative = _open(app, interpreter_token)
    _knock(interpreter)
    # The interpreter cannot withdraw: the form is not theirs, and posting it changes nothing.
    assert interpreter.get("/visit/withdraw").status_code == 303
    csrf = CSRF_FIELD.search(interpreter.get("/visit").get_data(as_text=True)).group(1)
    assert interpreter.post("/visit/withdraw", data={"csrf_token": csrf}).status_code == 303
    fresh(db)
    assert db.get(Invitation, patient.id).state == "scheduled"

    patient_client = _open(app, patient_token)
    csrf = CSRF_FIELD.search(patient_client.get("/visit/withdraw").get_data(as_text=True)).group(1)
    assert patient_client.post("/visit/withdraw", data={"csrf_token": csrf}).status_code == 303
    for client, heading in ((interpreter, "Timen er avlyst"), (relative, None)):
        for path in ("/visit", "/visit/wait", "/visit/check"):
            answer = client.get(path)
            assert answer.status_code == 410
            if heading:
                assert _h1(answer) == heading
            assert "trukket" not in answer.get_data(as_text=True)  # not why
        assert client.get("/api/visit/status").status_code == 410
    assert 'dir="rtl"' in relative.get("/visit").get_data(as_text=True)
    # The link itself opened again answers as every dead link does (R4).
    again = app.test_client().get(f"/i/{interpreter_token}", follow_redirects=True)
    assert again.status_code == 410 and _h1(again) != "Timen er avlyst"
    fresh(db)
    states = {member.role: member.state for member in db.scalars(select(Invitation))}
    assert states == {"patient": "withdrawn", "interpreter": "cancelled", "relative": "cancelled"}


def test_the_clinic_cancelling_tells_the_others_too(app, sign_in, db):
    staff = sign_in()
    patient, _token = _appointment(staff, db)
    nurse = _open(app, link_token(_add(staff, patient.id, "health-worker", "en")))
    assert staff.form(f"/staff/invitations/{patient.id}/revoke", {}).status_code == 303
    assert _h1(nurse.get("/visit")) == "The appointment is cancelled"


def test_a_removed_participant_is_out_at_once_and_the_appointment_goes_on(app, sign_in, db):
    staff = sign_in()
    patient, patient_token = _appointment(staff, db)
    relative = _open(app, link_token(_add(staff, patient.id, "relative", "en", "R")))
    _knock(relative)
    fresh(db)
    member = db.scalar(select(Invitation).where(Invitation.party_id == patient.id))
    # Staff cannot remove the patient (they cancel instead), nor cancel a participant's appointment.
    assert staff.form(f"/staff/invitations/{patient.id}/remove", {}).status_code == 409
    assert staff.form(f"/staff/invitations/{member.id}/revoke", {}).status_code == 409
    removed = staff.form(f"/staff/invitations/{member.id}/remove", {})
    assert removed.status_code == 303
    assert removed.headers["Location"].endswith(f"/staff/invitations/{patient.id}?removed=1")
    # Their session ends with the generic page: the appointment is not cancelled, they are out.
    gone = relative.get("/visit")
    assert gone.status_code == 410 and "cancelled" not in gone.get_data(as_text=True)
    assert relative.get("/api/visit/status").status_code == 410
    assert _open(app, patient_token).get("/visit").status_code == 200
    fresh(db)
    assert db.get(Invitation, member.id).state == "cancelled"
    assert knocks.latest_knock(db, db.get(Invitation, member.id)).state == knocks.DENIED
    board = staff.get("/staff/api/dashboard").get_json()
    assert [row["role"] for row in board["rows"]] == ["patient"]
    # A participant can be added again later, with a new link.
    assert _add(staff, patient.id, "relative", "en", "R").status_code == 200


def test_moving_the_appointment_moves_everyone(app, sign_in, db):
    staff = sign_in()
    patient, _token = _appointment(staff, db)
    _add(staff, patient.id)
    fresh(db)
    local = (patient.starts_at + timedelta(days=1))
    from zoneinfo import ZoneInfo

    local = local.astimezone(ZoneInfo("Europe/Oslo"))
    moved = staff.form(f"/staff/invitations/{patient.id}/edit", {
        "date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M"), "duration": "45", "language": "so",
        "label": "Pas77", "room": "room-1"})
    assert moved.status_code == 303
    fresh(db)
    member = db.scalar(select(Invitation).where(Invitation.party_id == patient.id))
    after = db.get(Invitation, patient.id)
    assert (member.starts_at, member.ends_at) == (after.starts_at, after.ends_at)
    assert member.ends_at - member.starts_at == timedelta(minutes=45)
    # A participant's own page has no "change the appointment": it follows the patient's.
    page = staff.get(f"/staff/invitations/{member.id}").get_data(as_text=True)
    assert "/edit" not in page and "Remove from the appointment" in page
    assert staff.get(f"/staff/invitations/{member.id}/edit").status_code == 409


def test_the_dashboard_groups_an_appointment_and_lets_everyone_in_at_once(app, sign_in, db):
    staff = sign_in(language="nb")
    patient, patient_token = _appointment(staff, db)
    interpreter = _open(app, link_token(_add(staff, patient.id, "interpreter", "nb", "Tolk 1")))
    nurse = _open(app, link_token(_add(staff, patient.id, "health-worker", "nb", "Sykepl",
                                       call_name="Sykepleier Kari")))
    patient_client = _open(app, patient_token)
    _knock(interpreter)
    board = staff.get("/staff/api/dashboard").get_json()
    # One appointment row, the interpreter's knock inside it; the patient has not knocked yet.
    assert board["knocking"] == 1 and board["rowsHtml"].count('class="pa-appt__party"') == 1
    assert "Let everyone in" not in board["rowsHtml"] and "Slipp inn alle" not in board["rowsHtml"]
    _knock(patient_client)
    _knock(nurse)
    board = staff.get("/staff/api/dashboard").get_json()
    assert board["knocking"] == 3
    admit_all = re.search(r'data-action="admit-all" data-url="([^"]+)"', board["rowsHtml"]).group(1)
    assert admit_all == f"/staff/api/appointments/{patient.id}/admit-all"
    answer = staff.api(admit_all)
    assert answer.status_code == 200 and answer.get_json() == {"ok": True, "admitted": 3}
    # Each goes to the same room, named by their role in the clinician's language, or as staff typed.
    names = {}
    for who, client in (("patient", patient_client), ("interpreter", interpreter), ("nurse", nurse)):
        status = client.get("/api/visit/status").get_json()
        assert status["state"] == "admitted", (who, status)
        query = parse_qs(urlsplit(status["room_url"]).query)
        names[who] = query["name"][0]
        assert urlsplit(status["room_url"]).path == "/webapp/conference/123456"
    assert names == {"patient": "Pasient", "interpreter": "Tolk", "nurse": "Sykepleier Kari"}
    # Admitting again is refused as for one knock: nobody is knocking now.
    assert staff.api(admit_all).status_code == 409
    # "Done" on the patient ends everyone's admission: the room is free for the next appointment.
    fresh(db)
    patient_knock = knocks.latest_knock(db, db.get(Invitation, patient.id))
    assert staff.api(f"/staff/api/knocks/{patient_knock.id}/end").status_code == 200
    fresh(db)
    assert {m.state for m in db.scalars(select(Invitation))} == {"completed"}


def test_the_room_is_busy_for_another_appointment_not_for_ones_own_people(app, sign_in, db):
    staff = sign_in()
    patient, patient_token = _appointment(staff, db)
    interpreter = _open(app, link_token(_add(staff, patient.id)))
    patient_client = _open(app, patient_token)
    patient_knock = _knock(patient_client)["knock"]
    assert staff.api(f"/staff/api/knocks/{patient_knock}/admit").status_code == 200
    # The interpreter comes late: the room is theirs too.
    interpreter_knock = _knock(interpreter)["knock"]
    assert staff.api(f"/staff/api/knocks/{interpreter_knock}/admit").status_code == 200
    # Another appointment in the same room must wait for this one to be done.
    other, other_token = _appointment(staff, db, label="ZZ")
    other_knock = _knock(_open(app, other_token))["knock"]
    busy = staff.api(f"/staff/api/knocks/{other_knock}/admit")
    assert busy.status_code == 409 and busy.get_json()["error"] == "room-busy"
    assert staff.api(f"/staff/api/appointments/{other.id}/admit-all").get_json()["error"] == "room-busy"


def test_each_participant_knocks_and_lapses_on_their_own(app, sign_in, db):
    app.config["KNOCK_LAPSE_SECONDS"] = 0
    staff = sign_in()
    patient, patient_token = _appointment(staff, db)
    interpreter = _open(app, link_token(_add(staff, patient.id)))
    _knock(interpreter)
    assert interpreter.get("/api/visit/status").get_json()["state"] == "lapsed"
    fresh(db)
    assert db.get(Invitation, patient.id).state == "scheduled"  # the patient's own state is untouched
    # A running-late message goes to one knock, not to the whole appointment.
    app.config["KNOCK_LAPSE_SECONDS"] = 900
    interpreter_knock = _knock(interpreter)["knock"]
    patient_client = _open(app, patient_token)
    _knock(patient_client)
    assert staff.api(f"/staff/api/knocks/{interpreter_knock}/message", {"message": "late-5"}).status_code == 200
    assert interpreter.get("/api/visit/status").get_json()["message"] == "late-5"
    assert patient_client.get("/api/visit/status").get_json()["message"] is None


def test_the_invitations_list_shows_appointments_not_their_participants(app, sign_in, db):
    staff = sign_in()
    patient, _token = _appointment(staff, db)
    _add(staff, patient.id, label="Tolk 1")
    listing = staff.get("/staff/invitations").get_data(as_text=True)
    assert "Pas77" in listing and "Tolk 1" not in listing


def test_a_participants_letter_is_theirs_in_their_language(app, sign_in, db):
    staff = sign_in()
    patient, _token = _appointment(staff, db)
    added = _add(staff, patient.id, "interpreter", "pl", "T")
    token = link_token(added)
    fresh(db)
    member = db.scalar(select(Invitation).where(Invitation.party_id == patient.id))
    letter = staff.form(f"/staff/invitations/{member.id}/letter", {"token": token}).get_data(as_text=True)
    assert 'lang="pl"' in letter and f"/i/{token}" in letter
    assert "Tłumacz" in letter  # "You take part as: Interpreter", in Polish
    # Not the patient's consent and withdrawal, which are not the interpreter's to give.
    assert "Udział jest dobrowolny" not in letter
