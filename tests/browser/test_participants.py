"""Everyone who takes part (issue 16), in real browsers: staff make an appointment for a Somali
patient with an interpreter and a home-care nurse (Norwegian pages); each opens their own link and
reads their own page in their own language; the nurse moves to a PC with the short code; everyone
knocks; staff let everyone in at once; all three reach the stand-in video room under their role's
name. In another run the patient withdraws and the others read that the appointment is cancelled, and
a participant staff remove is out at once."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_lang_dir, assert_no_horizontal_scroll, axe_violations
from tests.browser.helpers import DESKTOP, create_invitation, knock

pytestmark = pytest.mark.one_backend


def _add(staff, role, language, label):
    """On the appointment's page: add someone; their link as the result page shows it, once."""
    form = staff.locator("form[action$='/participants']")
    form.get_by_label("Who joins").select_option(role)
    form.get_by_label("Their language").select_option(language)
    form.get_by_label("Label for staff").fill(label)
    form.get_by_role("button", name="Add and make their link").click()
    expect(staff.locator("h1")).to_contain_text("Link for:")
    link = staff.locator("#invitation-link").input_value()
    staff.get_by_role("link", name="Back to the appointment").click()
    return link


def _appointment(staff):
    patient_link = create_invitation(staff, language="so")
    staff.get_by_role("link", name="Go to the invitation").click()
    interpreter_link = _add(staff, "interpreter", "nb", "Tolk")
    nurse_link = _add(staff, "health-worker", "nb", "Sykepl")
    expect(staff.locator(".pa-appt--list")).to_have_count(2)
    return patient_link, interpreter_link, nurse_link


def _room_name(page) -> str:
    page.wait_for_url(re.compile(r"/dev/video-room\?"), timeout=15_000)
    return re.search(r"[?&]name=([^&]+)", page.url).group(1)


def test_a_patient_an_interpreter_and_a_nurse_on_a_pc_are_let_in_together(app, staff_page, pages, axe):
    app.config["CODE_ANSWER_SECONDS"] = 0
    staff = staff_page
    patient_link, interpreter_link, nurse_link = _appointment(staff)

    patient, interpreter, nurse_phone = pages.new(lang="so"), pages.new(lang="nb"), pages.new(lang="nb")
    patient.goto(patient_link)
    assert_lang_dir(patient, "so")
    expect(patient.locator("a[href='/visit/withdraw']")).to_have_count(1)
    interpreter.goto(interpreter_link)
    assert_lang_dir(interpreter, "nb")
    expect(interpreter.locator(".pa-lead")).to_contain_text("Tolk")
    expect(interpreter.locator("a[href='/visit/withdraw']")).to_have_count(0)
    assert axe_violations(axe, interpreter) == []
    assert_no_horizontal_scroll(interpreter)
    nurse_phone.goto(nurse_link)
    expect(nurse_phone.locator(".pa-fold[open] summary")).to_be_visible()
    assert axe_violations(axe, nurse_phone) == []

    # The nurse takes the visit to a PC with the six-digit code.
    form = nurse_phone.locator("form[action='/visit/device-code']")
    form.locator("xpath=ancestor::details").locator("summary").click()
    form.locator("button").click()
    code = nurse_phone.locator(".pa-code-show--code").inner_text()
    pc = pages.new(lang="nb", viewport=DESKTOP, mobile=False)
    pc.goto("/")
    pc.locator("#device-code").fill(code)
    pc.locator("form[action='/code'] button[type=submit]").click()
    pc.wait_for_url("**/visit")
    expect(pc.locator(".pa-lead")).to_contain_text("Helsepersonell")

    for page in (patient, interpreter, pc):
        knock(page, "/visit")
    staff.goto("/staff/")
    everyone = staff.get_by_role("button", name=re.compile("Let everyone in"))
    expect(everyone).to_contain_text("3")
    expect(staff.locator(".pa-appt__party .pa-appt--member")).to_have_count(2)
    everyone.click()
    # Each reaches the same room, shown by their role in the clinician's language (English here).
    assert _room_name(patient) == "Pasient"
    assert _room_name(interpreter) == "Interpreter"
    assert _room_name(pc) == "Health%20worker"


def test_the_patient_withdraws_and_the_others_read_cancelled_and_a_removed_one_is_out(app, staff_page, pages, axe):
    staff = staff_page
    patient_link, interpreter_link, nurse_link = _appointment(staff)
    patient, interpreter, nurse = pages.new(lang="so"), pages.new(lang="ar"), pages.new(lang="nb")
    interpreter.goto(interpreter_link)
    nurse.goto(nurse_link)
    knock(interpreter, "/visit")
    # Staff take the nurse out: her page says only that the link does not work.
    staff.get_by_role("link", name="Sykepl").click()
    staff.get_by_role("button", name="Remove from the appointment").click()
    expect(staff.locator(".pa-notice[role=status]")).to_contain_text("Removed")
    nurse.reload()
    expect(nurse.locator("h1")).not_to_contain_text("avlyst")
    # The patient withdraws; the interpreter's waiting page turns to "cancelled" by itself.
    patient.goto(patient_link)
    patient.goto("/visit/withdraw")
    patient.locator("form button[type=submit]").click()
    patient.wait_for_url("**/visit/withdrawn")
    expect(interpreter.locator("h1")).to_have_text("Timen er avlyst", timeout=20_000)
    assert axe_violations(axe, interpreter) == []
