"""A nurse's morning in one go, in the real browser: three invitations from the one-screen form (one
for tomorrow), tomorrow's found through the list and moved, another link for a patient who lost the
SMS (the first keeps working), a "Not now" undone, and the dashboard at 1280×800 and 390×844 with
nothing sticking out of its box."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from patientapp.models import utcnow
from tests.browser.helpers import knock

OSLO = ZoneInfo("Europe/Oslo")

# Each appointment's card: every element inside it, and every action button next to the row's label
# (the same card), within the card's box and the window.
OUTSIDE_THEIR_CARD = """() => {
  const out = [];
  const width = document.documentElement.clientWidth;
  for (const card of document.querySelectorAll('.pa-appt')) {
    const box = card.getBoundingClientRect();
    if (box.left < -1 || box.right > width + 1) out.push(`card ${Math.round(box.left)}..${Math.round(box.right)}`);
    for (const el of card.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (!r.width || el.closest('.pa-visually-hidden')) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
        out.push(`${el.tagName.toLowerCase()}.${el.className} in card ${card.dataset.invitation}`);
      }
    }
  }
  return out;
}"""


def _fill_form(page, *, day, time, language, label, phone=None):
    page.goto("/staff/invitations/new")
    page.get_by_label("Date").fill(day)
    page.get_by_label("Start time").fill(time)
    page.get_by_label("The patient's language").select_option(language)
    page.get_by_label("Label for staff").fill(label)
    if phone:
        page.get_by_label("Send an SMS now").check()
        page.get_by_label("The patient's mobile number").fill(phone)
    else:
        page.get_by_label("No SMS").check()
    # Enter sends the form from the keyboard, as a nurse does thirty times a day.
    page.get_by_label("Label for staff").press("Enter")
    expect(page.locator("h1")).to_have_text("Invitation ready")
    return page.locator("#invitation-link").input_value()


@pytest.mark.one_backend
def test_a_nurses_morning(staff_page, pages):
    page = staff_page
    page.set_viewport_size({"width": 1280, "height": 800})
    # The form starts at the next quarter hour, with the clinic's usual duration and no language.
    page.goto("/staff/invitations/new")
    assert int(page.get_by_label("Start time").input_value()[3:5]) % 15 == 0
    expect(page.get_by_label("The patient's language")).to_have_value("")
    page.get_by_label("No SMS").check()
    page.get_by_role("button", name="Create invitation").click()
    expect(page.get_by_label("The patient's language")).to_be_focused()  # the first field with an error

    soon = (utcnow() + timedelta(minutes=20)).astimezone(OSLO)
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(OSLO)
    first = _fill_form(page, day=f"{soon:%Y-%m-%d}", time=f"{soon:%H:%M}", language="ar", label="AR1")
    _fill_form(page, day=f"{soon:%Y-%m-%d}", time=f"{soon:%H:%M}", language="nb", label="NB2", phone="912 34 567")
    expect(page.locator(".pa-notice--ok")).to_contain_text("The SMS was sent")
    _fill_form(page, day=f"{tomorrow:%Y-%m-%d}", time="09:00", language="so", label="SO3")

    # Tomorrow's is not on today's list; "Coming days" and the label search find it; it moves to 10:30.
    page.get_by_role("link", name="Invitations").first.click()
    expect(page.locator("main")).not_to_contain_text("SO3")
    page.get_by_role("link", name="Coming days").click()
    page.get_by_label("Label").fill("so3")
    page.get_by_label("Label").press("Enter")
    page.get_by_role("link", name="SO3").click()
    page.get_by_role("link", name="Change the appointment").click()
    page.get_by_label("Start time").fill("10:30")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".pa-facts")).to_contain_text("10:30")

    # The first patient lost the SMS: another link, and the first still opens the page (the letter).
    page.goto("/staff/invitations?label=AR1")
    page.get_by_role("link", name="AR1").click()
    page.get_by_role("button", name="Send another link").click()
    second = page.locator("#invitation-link").input_value()
    assert second != first
    patient = pages.new(lang="ar")
    knock(patient, first)

    # "Not now" by mistake: Undo, and the patient keeps waiting; the knock stays on the dashboard.
    page.goto("/staff/")
    row = page.locator("li.pa-appt--knocking")
    expect(row).to_be_visible(timeout=10_000)
    expect(row.locator(".pa-appt__who")).to_contain_text("AR1")
    row.get_by_role("button", name="Not now").click()
    undo = row.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()
    undo.click()
    expect(row).to_contain_text("“Not now” was not sent.")
    page.wait_for_timeout(7_000)  # longer than Undo is offered
    expect(patient.locator(".pa-js-step-wait")).to_have_attribute("data-state", "waiting")
    expect(page.locator("li.pa-appt--knocking")).to_have_count(1)

    # The dashboard fits a desktop and a phone: every card's contents, buttons included, inside it.
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        expect(page.locator("li.pa-appt--knocking")).to_be_visible()
        assert page.evaluate(OUTSIDE_THEIR_CARD) == [], width
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        knocking = page.locator("li.pa-appt--knocking")
        for name in ("Let in", "Not now"):
            button = knocking.get_by_role("button", name=name)
            button.scroll_into_view_if_needed()
            expect(button).to_be_in_viewport()
        label_box = knocking.locator(".pa-appt__who a").bounding_box()
        admit_box = knocking.get_by_role("button", name="Let in").bounding_box()
        # Beside: on the same line on a desktop, in the same card close below on a phone.
        assert abs(admit_box["y"] - label_box["y"]) < (60 if width > 1000 else 200), (width, label_box, admit_box)
    # On a desktop a row stays one or two lines tall (a knocking row: its buttons, then the message list).
    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    heights = page.locator("li.pa-appt").evaluate_all("cards => cards.map((c) => c.getBoundingClientRect().height)")
    assert max(heights) < 130, heights
    assert re.match(r"^\(1\)", page.title())
    # The nurse's PC loses the network: the dashboard says its list may be old, and recovers by itself.
    # The browser knows at once, so the notice comes and goes at once, not after missed refreshes.
    page.context.set_offline(True)
    expect(page.locator(".pa-js-stale")).to_be_visible(timeout=2_000)
    page.context.set_offline(False)
    expect(page.locator(".pa-js-stale")).to_be_hidden(timeout=3_000)
