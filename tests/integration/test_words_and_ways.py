"""What the outside review found in the words and ways patients meet (issue 12): one date and time
format per language everywhere, guides that lead back, the check's plain words and next step, the
landing page's first screen, and staff words that are both a button and a status."""
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from patientapp import i18n, timefmt
from patientapp.models import utcnow
from tests.integration.helpers import create_invitation, link_token

OSLO = ZoneInfo("Europe/Oslo")


def _text(response) -> str:
    return " ".join(BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ").split())


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_the_sms_the_page_the_letter_and_the_calendar_give_one_time(app, sign_in, lang):
    """The review: the Somali SMS said "3.12. saacadda 14:30" and the page "2:30 GD"; the Arabic SMS
    "09:00" and the page "8:20 ص". Now one format per language, from one function."""
    staff = sign_in()
    local = (utcnow() + timedelta(days=3)).astimezone(OSLO).replace(hour=14, minute=30, second=0, microsecond=0)
    result = create_invitation(staff, date=local.strftime("%Y-%m-%d"), time="14:30", language=lang)
    token = link_token(result)
    locale = i18n.LANGUAGES[lang].format_locale
    day, clock = timefmt.day(local.date(), locale), "14:30"
    sms = BeautifulSoup(result.get_data(as_text=True), "html.parser").select_one("p.pa-sms").get_text()
    assert day in sms and clock in sms, sms

    invitation_id = re.search(r"/staff/invitations/(\d+)/letter", result.get_data(as_text=True)).group(1)
    letter = _text(staff.form(f"/staff/invitations/{invitation_id}/letter", {"token": token}))
    patient = app.test_client()
    patient.get(f"/i/{token}")
    landing, waiting = _text(patient.get("/visit")), _text(patient.get("/visit/wait"))
    for page in (letter, landing):
        assert day in page and clock in page
    assert clock in waiting
    calendar = patient.get("/visit/calendar.ics").get_data(as_text=True)
    start = datetime.strptime(re.search(r"DTSTART:(\d{8}T\d{6})Z", calendar).group(1), "%Y%m%dT%H%M%S")
    assert start.replace(tzinfo=UTC).astimezone(OSLO).strftime("%H:%M") == clock


def _patient_with_session(app, invitation_factory):
    _, token = invitation_factory.create(language="nb", starts_in=timedelta(minutes=10))
    patient = app.test_client()
    patient.get(f"/i/{token}")
    return patient


def test_guides_lead_back_to_the_appointment_and_show_the_clinics_number(app, invitation_factory, client):
    """The review: guides were a dead end for a patient with a live invitation."""
    patient = _patient_with_session(app, invitation_factory)
    for path in ("/guide/no-sound", "/guide", "/"):
        soup = BeautifulSoup(patient.get(path).get_data(as_text=True), "html.parser")
        assert soup.select_one("main a[href='/visit']"), path
    guide = BeautifulSoup(patient.get("/guide/no-sound").get_data(as_text=True), "html.parser")
    assert guide.select_one("aside a[href='tel:+4712345678']")
    # Without an invitation in this browser: no way back to one, and no number to show.
    anonymous = BeautifulSoup(client.get("/guide/no-sound").get_data(as_text=True), "html.parser")
    assert not anonymous.select_one("main a[href='/visit']") and not anonymous.select_one("aside a[href^='tel:+47']")


def test_the_checks_advice_opens_a_guide_that_leads_back_to_the_check(app, invitation_factory, client):
    patient = _patient_with_session(app, invitation_factory)
    html = patient.get("/visit/check").get_data(as_text=True)
    config = json.loads(BeautifulSoup(html, "html.parser").select_one("#pa-check-config").string)
    assert all(guide["url"].endswith("?from=check") for guide in config["guides"].values())
    back = BeautifulSoup(patient.get(config["guides"]["microphone"]["url"]).get_data(as_text=True), "html.parser")
    assert back.select_one("main a[href='/visit/check']")
    public = BeautifulSoup(client.get("/guide/no-sound?from=check").get_data(as_text=True), "html.parser")
    assert public.select_one("main a[href='/check']")


@pytest.mark.parametrize("starts_in, waiting_room_first", [(timedelta(minutes=10), True), (timedelta(days=3), False)])
def test_after_the_check_the_next_step_is_the_waiting_room_when_the_appointment_is_near(
        app, invitation_factory, starts_in, waiting_room_first):
    _, token = invitation_factory.create(language="en", starts_in=starts_in)
    patient = app.test_client()
    patient.get(f"/i/{token}")
    summary = BeautifulSoup(patient.get("/visit/check").get_data(as_text=True), "html.parser").select_one(".pa-summary")
    first = summary.select("a.pa-button")[0]
    assert (first["href"] == "/visit/wait") is waiting_room_first
    assert summary.select_one("a[href='/visit']")


def test_the_check_speaks_in_words_and_keeps_the_figures_for_the_helpdesk(app, invitation_factory):
    patient = _patient_with_session(app, invitation_factory)
    soup = BeautifulSoup(patient.get("/visit/check?lang=en").get_data(as_text=True), "html.parser")
    messages = json.loads(soup.select_one("#pa-check-config").string)["messages"]
    assert not any(re.search(r"\b(ms|Mbit/s|pixels)\b", text) for key, text in messages.items()
                   if not key.endswith(".details")), "figures belong in the details"
    assert soup.select("details.pa-js-details summary")
    assert soup.select_one(".pa-js-meter-value").get_text() == "quiet"


@pytest.mark.parametrize("lang", ["ar", "ur"])
def test_button_names_in_right_to_left_text_are_isolated_not_curly_quoted(app, invitation_factory, lang):
    """The review: “Allow” showed as ”Allow“ in Arabic and Urdu."""
    patient = _patient_with_session(app, invitation_factory)
    html = patient.get(f"/visit/check?lang={lang}").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    messages = json.loads(soup.select_one("#pa-check-config").string)["messages"]
    assert "\u2068" in messages["media.asking"] and "\u2069" in messages["media.asking"]
    assert soup.select_one(".pa-check--media p bdi")
    assert not [text for text in messages.values() if re.search("[\u201c\u201d]", text)]


def test_the_landing_page_keeps_the_appointment_on_the_first_screen(app, invitation_factory):
    """The review: five to six phone screens, the emergency number twice, and "open the link a few
    minutes before" to someone who already has."""
    patient = _patient_with_session(app, invitation_factory)
    soup = BeautifulSoup(patient.get("/visit?lang=en").get_data(as_text=True), "html.parser")
    main = soup.select_one("main")
    assert len(soup.select("a[href='tel:113']")) == 1
    assert "a few minutes before" not in main.get_text()
    card = main.select_one(".pa-appointment")
    assert card.select_one("a[href='/visit/wait']") and card.select_one("a[href='/visit/check']")
    assert card.select_one("a[href='tel:+4712345678']")
    assert len(main.select("details.pa-fold > summary")) >= 6
    # Nothing but the card and the folds (and the QR code, which only a wide screen shows).
    assert {child.name for child in main.find_all(recursive=False)} <= {"h1", "section", "div"}


def test_the_dashboard_says_let_in_as_a_status_and_as_a_button_apart(sign_in):
    from flask_babel import force_locale, pgettext

    from patientapp.staff import dashboard

    staff = sign_in()
    with staff.app.test_request_context(), force_locale("nb"):
        assert dashboard.row_words()["actions"]["admit"] == "Slipp inn"
        assert pgettext("status", "Let in") == "Sluppet inn"
        assert pgettext("status", "Done") != pgettext("button", "Done")


@pytest.mark.parametrize("lang", ["ar", "pl"])
def test_the_dashboard_counts_with_every_plural_form(sign_in, lang):
    """The review: '|replace("2", "{n}")' gave Arabic 3–10 and Polish 5+ the wrong form."""
    from babel import Locale

    staff = sign_in()
    soup = BeautifulSoup(staff.get(f"/staff/?lang={lang}").get_data(as_text=True), "html.parser")
    forms = json.loads(soup.select_one("#pa-dashboard-messages")["data-knocking"])
    assert set(forms) == {Locale.parse(lang).plural_form(n) for n in range(200)}
    assert all("{n}" in text for category, text in forms.items() if category not in ("zero", "one", "two"))
    if lang == "pl":  # "3 pacjenci pukają", "5 pacjentów puka"
        assert forms["few"] != forms["many"]


def test_the_waiting_room_leads_to_the_guide_for_the_clinics_video_service(app, invitation_factory, db):
    """Issue 18: patients get lost in the video service's own screens; the waiting room links the
    guide for the clinic's provider, and a clinic's own service (a template room) gets none."""
    from patientapp.models import Invitation
    from tests.integration.helpers import PEXIP

    whereby = {"key": "w", "label": "W", "provider": "whereby", "subdomain": "nordby", "room": "rom-1"}
    template = {"key": "t", "label": "T", "provider": "template", "template": "https://video.nordby.example/{name}"}
    for room, slug in ((PEXIP, "video-join"), (whereby, "video-whereby"), (template, None)):
        invitation, token = invitation_factory.create(language="en", starts_in=timedelta(minutes=10),
                                                      room_settings={"rooms": [PEXIP, whereby, template]})
        db.execute(Invitation.__table__.update().where(Invitation.id == invitation.id).values(room_ref=room["key"]))
        db.commit()
        patient = app.test_client()
        patient.get(f"/i/{token}")
        page = patient.get("/visit/wait").get_data(as_text=True)
        for guide in ("video-join", "video-whereby"):
            assert (f'href="/guide/{guide}"' in page) == (guide == slug), (room["provider"], guide)
        assert "allow the camera and microphone again" in page  # the two lines shown when let in
