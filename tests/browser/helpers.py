"""What the browser tests share beyond fixtures: a virtual passkey, and the staff member's and the
patient's first steps."""
from datetime import timedelta, timezone

from playwright.sync_api import expect

from patientapp.models import utcnow

DESKTOP = {"width": 1280, "height": 900}


def add_authenticator(page, uv=True):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "ctap2Version": "ctap2_1", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": uv, "automaticPresenceSimulation": True}})
    return cdp, authenticator["authenticatorId"]


def choose_staff_language(page, lang):
    """The language the workspace speaks for this staff member, chosen in the header (kept on the server)."""
    page.locator("#staff-language").select_option(lang)
    page.locator(".pa-staff-language button").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/staff/login")


def create_invitation(page, language="ar"):
    local = (utcnow() + timedelta(minutes=10)).astimezone(timezone(timedelta(hours=1)))
    page.goto("/staff/invitations/new")
    page.get_by_label("Date").fill(local.strftime("%Y-%m-%d"))
    page.get_by_label("Start time").fill(local.strftime("%H:%M"))
    page.get_by_label("The patient's language").select_option(language)
    page.get_by_label("Label for staff").fill("KN")
    page.get_by_label("No SMS").check()
    page.get_by_role("button", name="Create invitation").click()
    return page.locator("#invitation-link").input_value()


def knock(patient, link):
    patient.goto(link)
    patient.locator("a[href='/visit/wait']").first.click()
    patient.locator(".pa-js-consent").check()
    patient.locator(".pa-js-knock").click()
    # The page's modules may still be loading on a busy CI machine when the button is clicked.
    expect(patient.locator(".pa-js-step-wait")).to_have_attribute("data-state", "waiting", timeout=15_000)
