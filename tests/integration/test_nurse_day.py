"""The workspace in a nurse's real day: another link for a lost SMS, the invitations list, the
one-screen form, undo, preferences and the clinic's own settings."""
import re

from sqlalchemy import select

from patientapp import invitations
from patientapp.models import AuditEvent
from tests.integration.helpers import create_invitation, fresh, invitation_form, link_token


def _invitation(db, token):
    fresh(db)
    return invitations.find_by_token(db, token)


def test_another_link_leaves_the_first_working_for_the_letter_and_the_patient(sign_in, db, app):
    staff = sign_in()
    first = link_token(create_invitation(staff))
    patient = app.test_client()
    assert patient.get(f"/i/{first}").status_code == 303 and patient.get("/visit").status_code == 200
    invitation = _invitation(db, first)
    page = staff.get(f"/staff/invitations/{invitation.id}").get_data(as_text=True)
    assert f"/staff/invitations/{invitation.id}/another-link" in page
    second = link_token(staff.form(f"/staff/invitations/{invitation.id}/another-link", {}))
    assert second != first
    # The patient who opened the first link is still in, and both links open the page.
    assert patient.get("/visit").status_code == 200
    assert app.test_client().get(f"/i/{first}").status_code == 303
    assert app.test_client().get(f"/i/{second}").status_code == 303
    # The letter (made with the first) and the SMS (with the second) both still take their token.
    assert staff.form(f"/staff/invitations/{invitation.id}/letter", {"token": first}).status_code == 200
    assert staff.form(f"/staff/invitations/{invitation.id}/letter", {"token": second}).status_code == 200
    fresh(db)
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.invitation_id == invitation.id))]
    assert actions == ["invitation-create", "invitation-another-link"]


def test_too_many_links_are_refused_with_the_way_out(sign_in, db):
    staff = sign_in()
    invitation = _invitation(db, link_token(create_invitation(staff)))
    for _ in range(invitations.MAX_LINKS - 1):
        assert staff.form(f"/staff/invitations/{invitation.id}/another-link", {}).status_code == 200
    refused = staff.form(f"/staff/invitations/{invitation.id}/another-link", {})
    assert refused.status_code == 409 and "Make a new link instead" in refused.get_data(as_text=True)
    fresh(db)
    assert len(db.get(type(invitation), invitation.id).link_tokens) == invitations.MAX_LINKS


def _local_tomorrow_at(hour: int):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from patientapp.models import utcnow

    return (utcnow().astimezone(ZoneInfo("Europe/Oslo")) + timedelta(days=1)).replace(hour=hour, minute=0)


def test_the_list_finds_tomorrows_invitation_by_label_day_and_state(sign_in, db):
    staff = sign_in()
    tomorrow = _local_tomorrow_at(9)
    create_invitation(staff, label="Tomorrow AB", date=tomorrow.strftime("%Y-%m-%d"), time="09:00")
    create_invitation(staff, label="Today CD")
    upcoming = staff.get("/staff/invitations?period=upcoming").get_data(as_text=True)
    assert "Tomorrow AB" in upcoming and "Today CD" not in upcoming
    today = staff.get("/staff/invitations").get_data(as_text=True)
    assert "Today CD" in today and "Tomorrow AB" not in today
    # The label search ignores case, and the wildcard characters of SQL are only characters.
    assert "Tomorrow AB" in staff.get("/staff/invitations?period=upcoming&label=tomorrow").get_data(as_text=True)
    assert "1 invitation<" not in staff.get("/staff/invitations?period=upcoming&label=%25").get_data(as_text=True)
    assert "0 invitations" in staff.get("/staff/invitations?period=upcoming&label=%25").get_data(as_text=True)
    by_day = staff.get(f"/staff/invitations?day={tomorrow:%Y-%m-%d}&state=scheduled").get_data(as_text=True)
    assert "Tomorrow AB" in by_day and "1 invitation<" in by_day
    assert "0 invitations" in staff.get(f"/staff/invitations?day={tomorrow:%Y-%m-%d}&state=cancelled").get_data(
        as_text=True)
    # Nonsense in the query is left out, never an error page.
    assert staff.get("/staff/invitations?day=9999-99-99&page=-4&state=x&language=zz").status_code == 200


def test_the_list_pages_through_many_invitations(sign_in, db, invitation_factory, clinic):
    from datetime import timedelta

    from sqlalchemy import text

    from patientapp.staff import invitation_list

    made = [invitation_factory.create(starts_in=timedelta(days=2))[0].id for _ in range(invitation_list.PER_PAGE + 3)]
    db.execute(text("UPDATE invitations SET clinic_id = :c WHERE id IN ({})".format(",".join(map(str, made)))),
               {"c": clinic.id})
    db.commit()
    staff = sign_in()
    first = staff.get("/staff/invitations?period=upcoming").get_data(as_text=True)
    assert f"{invitation_list.PER_PAGE + 3} invitations" in first and 'rel="next"' in first
    second = staff.get("/staff/invitations?period=upcoming&page=2").get_data(as_text=True)
    assert second.count("/staff/invitations/") - second.count("/staff/invitations/new") >= 3
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_the_form_starts_at_the_next_quarter_hour_with_no_language_chosen(sign_in, db):
    import re

    staff = sign_in()
    page = staff.get("/staff/invitations/new").get_data(as_text=True)
    minute = int(re.search(r'name="time"[^>]*value="\d\d:(\d\d)', page).group(1))
    assert minute % 15 == 0
    assert re.search(r'name="duration"[^>]*value="20"', page)  # the clinic's usual duration
    assert re.search(r'<option selected value="">', page) or re.search(r'<option value="" selected', page)
    refused = staff.form("/staff/invitations/new", {**_form(), "language": ""})
    assert refused.status_code == 422 and "Choose the patient" in refused.get_data(as_text=True)
    assert re.search(r'<select[^>]*autofocus[^>]*name="language"|<select[^>]*name="language"[^>]*autofocus',
                     refused.get_data(as_text=True))


def _form(**overrides):
    return invitation_form(**{"duration": "20", "language": "so", "label": "SO", **overrides})


def test_the_form_sends_the_sms_only_when_chosen_with_a_number(sign_in, db, app):
    from pathlib import Path

    from patientapp.models import Invitation

    outbox = Path(app.instance_path, "sms-outbox.jsonl")
    outbox.unlink(missing_ok=True)
    staff = sign_in()
    fresh(db)
    before = db.query(Invitation).count()
    # Neither way chosen: nothing is made; SMS chosen without a number: nothing is made or sent.
    assert staff.form("/staff/invitations/new", {**_form(), "delivery": ""}).status_code == 422
    missing = staff.form("/staff/invitations/new", _form(delivery="sms", phone=""))
    assert missing.status_code == 422 and "or choose “No SMS”" in missing.get_data(as_text=True)
    fresh(db)
    assert db.query(Invitation).count() == before and not outbox.exists()
    # "No SMS": made, nothing sent.
    assert staff.form("/staff/invitations/new", _form()).status_code == 200 and not outbox.exists()
    # SMS with a number: made and sent in one go, in the patient's language, the number not kept.
    sent = staff.form("/staff/invitations/new", _form(delivery="sms", phone="912 34 567"))
    assert sent.status_code == 200 and "The SMS was sent to" in sent.get_data(as_text=True)
    lines = outbox.read_text().splitlines()
    assert len(lines) == 1 and "91234567" not in lines[0] and "/i/" in lines[0]
    fresh(db)
    assert db.query(Invitation).count() == before + 2


def test_cancelling_asks_first_and_the_answer_no_keeps_it(sign_in, db, app):
    staff = sign_in()
    token = link_token(create_invitation(staff))
    invitation = _invitation(db, token)
    page = staff.get(f"/staff/invitations/{invitation.id}").get_data(as_text=True)
    assert f'href="/staff/invitations/{invitation.id}/cancel"' in page and "/revoke" not in page
    confirm = staff.get(f"/staff/invitations/{invitation.id}/cancel").get_data(as_text=True)
    assert f'action="/staff/invitations/{invitation.id}/revoke"' in confirm and "No, keep it" in confirm
    assert app.test_client().get(f"/i/{token}").status_code == 303  # looking at the question cancels nothing
    assert staff.form(f"/staff/invitations/{invitation.id}/revoke", {}).status_code == 303
    assert app.test_client().get(f"/i/{token}").status_code == 410
    # Once cancelled, the question is not asked again.
    assert staff.get(f"/staff/invitations/{invitation.id}/cancel").status_code == 303


def test_the_staff_language_and_the_knock_sound_are_kept_per_person(sign_in, db, app):
    from patientapp.models import Staff

    staff = sign_in(language="nb")
    assert 'lang="nb"' in staff.get("/staff/").get_data(as_text=True)[:200]
    # The browser asking for Arabic and a patient's language cookie change nothing in the workspace.
    staff.client.set_cookie("lang", "ur")
    assert 'lang="nb"' in staff.get("/staff/", headers={"Accept-Language": "ar"}).get_data(as_text=True)[:200]
    moved = staff.form("/staff/preferences/language", {"language": "ar", "next": "/staff/invitations"})
    assert moved.status_code == 303 and moved.headers["Location"].endswith("/staff/invitations")
    assert 'lang="ar" dir="rtl"' in staff.get("/staff/").get_data(as_text=True)[:200]
    # Only a workspace path is a way back; anything else goes to the dashboard.
    assert staff.form("/staff/preferences/language", {"language": "ar", "next": "//evil.example"}).headers[
        "Location"].endswith("/staff/")
    assert 'data-sound="on"' not in staff.get("/staff/").get_data(as_text=True)
    assert staff.api("/staff/api/preferences", {"knockSound": True}).get_json() == {"knockSound": True}
    assert 'data-sound="on"' in staff.get("/staff/").get_data(as_text=True)
    assert staff.api("/staff/api/preferences", {"knockSound": "yes"}).status_code == 400
    fresh(db)
    person = db.get(Staff, staff.staff_id)
    assert (person.language, person.knock_sound) == ("ar", True)


def test_the_enrolment_page_speaks_the_language_the_administrator_chose(sign_in, db, app):
    import re

    admin = sign_in()
    made = admin.form("/staff/team", {"email": "amina@example.no", "display_name": "Amina", "role": "staff",
                                     "language": "so"}).get_data(as_text=True)
    link = re.search(r"/staff/enrol/[A-Za-z0-9_-]+", made).group(0)
    newcomer = app.test_client()
    newcomer.get(link, headers={"Accept-Language": "nb"})
    assert 'lang="so"' in newcomer.get("/staff/enrol", headers={"Accept-Language": "nb"}).get_data(as_text=True)[:200]


def test_clinic_settings_are_validated_audited_and_used(sign_in, db, app):
    from patientapp.models import Clinic

    admin = sign_in()
    good = {"display_name": "Nordby legekontor", "phone": "22 33 44 55", "time_zone": "Europe/Oslo",
            "sms_sender": "Nordby", "default_duration": "30", "emergency_url": "https://intranett.example/rutine"}
    for field, bad, message in [("phone", "abc", "does not look like a phone number"),
                                ("sms_sender", "12345", "at least one letter"),
                                ("emergency_url", "http://intranett.example", "must start with https://"),
                                ("default_duration", "500", "between 5 and 240"),
                                ("time_zone", "Mars/Olympus", "Choose a time zone from the list.")]:
        refused = admin.form("/staff/clinic", {**good, field: bad})
        assert refused.status_code == 422 and message in refused.get_data(as_text=True), field
    fresh(db)
    clinic = db.get(Clinic, admin_clinic_id(db, admin))
    assert clinic.display_name != "Nordby legekontor"
    saved = admin.form("/staff/clinic", good)
    assert saved.status_code == 200 and "The settings are saved." in saved.get_data(as_text=True)
    fresh(db)
    clinic = db.get(Clinic, clinic.id)
    assert (clinic.display_name, clinic.phone, clinic.sms_sender, clinic.default_duration) == (
        "Nordby legekontor", "+4722334455", "Nordby", 30)
    assert re.search(r"name=\"duration\"[^>]*value=\"30\"", admin.get("/staff/invitations/new").get_data(as_text=True))
    assert 'href="https://intranett.example/rutine"' in admin.get("/staff/emergency").get_data(as_text=True)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "clinic-settings")).one()
    assert event.detail == "display_name,phone,sms_sender,default_duration,emergency_url"
    nurse = sign_in(role="staff")
    assert nurse.get("/staff/clinic").status_code == 403


def admin_clinic_id(db, client):
    from patientapp.models import Staff

    return db.get(Staff, client.staff_id).clinic_id


def test_the_same_form_sent_twice_makes_one_invitation(sign_in, db):
    from patientapp.models import Invitation

    staff = sign_in()
    once = re.search(r'name="once" type="hidden" value="([^"]+)"|id="once" name="once" type="hidden" value="([^"]+)"',
                     staff.get("/staff/invitations/new").get_data(as_text=True))
    once = next(group for group in once.groups() if group)
    fresh(db)
    before = db.query(Invitation).count()
    first = staff.form("/staff/invitations/new", _form(once=once))
    assert first.status_code == 200 and "/i/" in first.get_data(as_text=True)
    again = staff.form("/staff/invitations/new", _form(once=once))  # a reload of the result page
    assert again.status_code == 303 and again.headers["Location"].endswith("?again=1")
    page = staff.get(again.headers["Location"]).get_data(as_text=True)
    assert "the form was sent twice" in page and "/i/" not in page
    fresh(db)
    assert db.query(Invitation).count() == before + 1
    # A new form (a new value) makes a new invitation.
    assert staff.form("/staff/invitations/new", _form()).status_code == 200
    fresh(db)
    assert db.query(Invitation).count() == before + 2


def test_the_label_limit_is_counted_from_the_rule(sign_in, db):
    from patientapp import invitations as rules

    staff = sign_in()
    too_long = staff.form("/staff/invitations/new", _form(label="x" * (rules.MAX_LABEL_LENGTH + 1)))
    text = too_long.get_data(as_text=True)
    assert too_long.status_code == 422 and f"At most {rules.MAX_LABEL_LENGTH} characters." in text
    assert f'maxlength="{rules.MAX_LABEL_LENGTH}"' in text
