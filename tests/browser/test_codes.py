"""A way in without typing a long link (issue 16): a phone shows a six-digit code and a PC takes the
visit over with it; the letter's and the SMS's code opens the appointment on a PC. In a
right-to-left language, with the phone's own digits, axe clean."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from patientapp import invitations, links
from patientapp.models import Clinic, utcnow
from tests.browser.conftest import assert_lang_dir, assert_no_horizontal_scroll, axe_violations
from tests.browser.helpers import DESKTOP

pytestmark = pytest.mark.one_backend

ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"


def _show_code(page) -> str:
    """On the landing page: open the devices' fold and ask for a code; the code as shown."""
    form = page.locator("form[action='/visit/device-code']")
    form.locator("xpath=ancestor::details").locator("summary").click()
    form.locator("button").click()
    shown = page.locator(".pa-code-show--code")
    expect(shown).to_be_visible()
    return shown.inner_text()


def _type_code(page, code):
    page.goto("/")
    page.locator("#device-code").fill(code)
    page.locator("form[action='/code'] button[type=submit]").click()


@pytest.mark.parametrize("lang", ["ar", "nb"])
def test_a_phone_hands_the_visit_to_a_pc_with_a_six_digit_code(app, pages, invitation_factory, axe, lang):
    app.config["CODE_ANSWER_SECONDS"] = 0.2
    _, token = invitation_factory.create(language=lang, starts_in=timedelta(minutes=20))
    phone = pages.new(lang=lang)
    phone.goto(f"/i/{token}")
    code = _show_code(phone)
    assert re.fullmatch(r"\d{3} \d{3}", code)
    assert_lang_dir(phone, lang)
    assert axe_violations(axe, phone) == []
    assert_no_horizontal_scroll(phone)
    # The code reads left to right in a right-to-left page.
    assert phone.locator(".pa-code-show--code bdi").evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert code.replace(" ", "") not in phone.url

    pc = pages.new(lang="en", viewport=DESKTOP, mobile=False)
    # A wrong code first: one calm message, the field marked, the focus back in it.
    _type_code(pc, "12345")
    expect(pc.locator("#device-code-error")).to_be_visible()
    assert pc.locator("#device-code").get_attribute("aria-invalid") == "true"
    assert axe_violations(axe, pc) == []
    # Typed as an Arabic keyboard types digits, with a space: the PC opens the appointment.
    typed = "".join(ARABIC_DIGITS[int(c)] if c.isdigit() else c for c in code) if lang == "ar" else code
    _type_code(pc, typed)
    pc.wait_for_url("**/visit")
    assert_lang_dir(pc, lang)  # the invitation's language, not the PC's
    expect(pc.locator(".pa-appointment")).to_be_visible()
    # The phone keeps its own session; the code was used once.
    phone.goto("/visit")
    expect(phone.locator(".pa-appointment")).to_be_visible()
    other = pages.new(lang="en", viewport=DESKTOP, mobile=False)
    _type_code(other, code)
    expect(other.locator("#device-code-error")).to_be_visible()


def test_the_letters_code_opens_the_appointment_on_a_pc(app, pages, axe):
    app.config["CODE_ANSWER_SECONDS"] = 0.2
    with app.app_context(), app.extensions["patientapp.db"].writer_sessions() as session, session.begin():
        clinic = Clinic(slug="letters", display_name="Nordby helsesenter", phone="+4712345678",
                        time_zone="Europe/Oslo", room_settings={})
        session.add(clinic)
        start = utcnow() + timedelta(hours=2)
        _, token = invitations.create_invitation(session, clinic, start, start + timedelta(minutes=30), "ur",
                                                 code_key=app.config["SECRET_KEY"])
    code = links.grouped_code(links.code_of(token))
    pc = pages.new(lang="nb", viewport=DESKTOP, mobile=False)
    pc.goto("/?lang=ur")
    assert_lang_dir(pc, "ur")
    assert axe_violations(axe, pc) == []
    _type_code(pc, code.lower())
    pc.wait_for_url("**/visit")
    assert_lang_dir(pc, "ur")
    expect(pc.locator(".pa-appointment__clinic")).to_contain_text("Nordby helsesenter")
