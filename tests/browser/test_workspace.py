"""The whole journey in two browsers (staff with a virtual passkey, patient on a phone), and the
passkey attacks of R17–R19, the lapse and the video service being down (R59).

The whole journey runs on both databases; the other journeys exercise the browser and the views,
whose database work tests/integration proves on both (the lapse included), so they run on one.
"""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from patientapp.models import AuditEvent
from tests.browser.helpers import create_invitation, knock, sign_out


def test_the_whole_journey(staff_page, pages, axe, db):
    link = create_invitation(staff_page, "ar")
    assert re.search(r"/i/[A-Za-z0-9_-]{43}$", link)
    assert "UCS-2" in staff_page.content()
    patient = pages.new(lang="nb")
    knock(patient, link)
    assert patient.locator("html").get_attribute("dir") == "rtl"
    assert axe_violations_clean(axe, patient)

    staff_page.goto("/staff/")
    row = staff_page.locator("li.pa-appt--knocking")
    expect(row).to_be_visible(timeout=10_000)
    expect(staff_page.locator(".pa-js-alert")).to_be_visible()
    expect(staff_page).to_have_title(re.compile(r"^\(1\) Knocking – Today's patients"))
    assert axe_violations_clean(axe, staff_page)
    row.get_by_role("button", name="Let in").click()
    patient.wait_for_url(re.compile(r"/dev/video-room\?name=Pasient&lang=ar"), timeout=10_000)
    expect(staff_page.locator("li.pa-appt--admitted")).to_be_visible(timeout=10_000)
    # Nothing but our own host and the video room's, and the token only on the first request (R5, R55).
    hosts = {r.url.split("/")[2] for r in patient.requests}
    assert hosts <= {link.split("/")[2], link.split("/")[2].replace("localhost", "127.0.0.1")}
    token = link.rsplit("/", 1)[1]
    assert not [r for r in patient.requests[1:] if token in r.url or token in (r.headers.get("referer") or "")]


def axe_violations_clean(axe, page):
    from tests.browser.conftest import axe_violations

    violations = axe_violations(axe, page)
    assert violations == [], violations
    return True


@pytest.mark.one_backend
def test_replayed_login_is_refused(staff_page):
    sign_out(staff_page)
    with staff_page.expect_request("**/staff/webauthn/login/verify") as captured:
        staff_page.get_by_role("button", name="Sign in with passkey").click()
    staff_page.wait_for_url("**/staff/")
    body = captured.value.post_data
    csrf = staff_page.locator('meta[name="csrf-token"]').get_attribute("content")
    replay = staff_page.request.post("/staff/webauthn/login/verify", data=body,
                                     headers={"Content-Type": "application/json", "X-CSRFToken": csrf})
    assert replay.status == 400


@pytest.mark.one_backend
def test_login_without_user_verification_is_refused(staff_page, db):
    sign_out(staff_page)
    staff_page.cdp.send("WebAuthn.setUserVerified",
                        {"authenticatorId": staff_page.authenticator, "isUserVerified": False})

    def downgrade(route):
        response = route.fetch()
        body = response.json()
        body["userVerification"] = "discouraged"  # the browser will then not ask for UV
        route.fulfill(response=response, json=body)

    staff_page.route("**/staff/webauthn/login/options", downgrade)
    with staff_page.expect_response("**/staff/webauthn/login/verify") as verified:
        staff_page.get_by_role("button", name="Sign in with passkey").click()
    assert verified.value.status == 400
    assert not [c for c in staff_page.context.cookies() if c["name"] == "__Host-staff"]
    expect(staff_page.locator(".pa-js-passkey-error")).to_be_visible()


@pytest.mark.one_backend
def test_a_cloned_authenticator_is_refused_and_audited(staff_page, db):
    for _ in range(2):  # the stored counter is now above zero
        sign_out(staff_page)
        staff_page.get_by_role("button", name="Sign in with passkey").click()
        staff_page.wait_for_url("**/staff/")
    sign_out(staff_page)
    cdp, original = staff_page.cdp, staff_page.authenticator
    credential = cdp.send("WebAuthn.getCredentials", {"authenticatorId": original})["credentials"][0]
    # Chromium allows one built-in authenticator at a time: the copy replaces the original.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": original})
    clone = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "ctap2Version": "ctap2_1", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]
    cdp.send("WebAuthn.addCredential", {"authenticatorId": clone, "credential": {**credential, "signCount": 0}})
    with staff_page.expect_response("**/staff/webauthn/login/verify") as verified:
        staff_page.get_by_role("button", name="Sign in with passkey").click()
    assert verified.value.status == 400
    db.rollback()
    db.expire_all()
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "login-cloned-authenticator")) is not None


@pytest.mark.one_backend
def test_a_knock_lapses_and_one_tap_knocks_again(staff_page, pages, app):
    app.config["KNOCK_LAPSE_SECONDS"] = 4
    link = create_invitation(staff_page, "en")
    patient = pages.new(lang="en")
    knock(patient, link)
    expect(patient.locator(".pa-js-countdown")).to_be_visible()
    wait = patient.locator(".pa-js-step-wait")
    expect(wait).to_have_attribute("data-state", "lapsed", timeout=15_000)
    expect(patient.locator(".pa-js-wait-title")).to_have_text("Your knock has stopped")
    staff_page.goto("/staff/")
    expect(staff_page.locator("li.pa-appt--lapsed")).to_be_visible(timeout=10_000)
    patient.get_by_role("button", name="Knock again").click()
    expect(wait).to_have_attribute("data-state", "waiting")


@pytest.mark.one_backend
def test_the_patient_hears_about_delays_and_the_network_dropping(staff_page, pages):
    link = create_invitation(staff_page, "nb")
    patient = pages.new(lang="nb")
    knock(patient, link)
    staff_page.goto("/staff/")
    row = staff_page.locator("li.pa-appt--knocking")
    expect(row).to_be_visible(timeout=10_000)
    row.locator("select").select_option("late-10")
    row.get_by_role("button", name="Send").click()
    expect(patient.locator(".pa-js-clinic-message")).to_contain_text("10 minutter", timeout=10_000)
    knock_id = row.get_attribute("data-knock")
    patient.context.set_offline(True)
    expect(patient.locator(".pa-js-wait-text")).to_contain_text("forbindelsen", ignore_case=True, timeout=15_000)
    patient.context.set_offline(False)
    # Back online, the notice goes at once: the first question is not held for its 20 s.
    expect(patient.locator(".pa-js-wait-text")).not_to_contain_text("forbindelsen", ignore_case=True,
                                                                     timeout=10_000)
    expect(patient.locator(".pa-js-clinic-message")).to_be_visible(timeout=10_000)
    expect(patient.locator(".pa-js-step-wait")).to_have_attribute("data-state", "waiting")
    staff_page.reload()
    assert staff_page.locator("li.pa-appt--knocking").count() == 1
    assert staff_page.locator("li.pa-appt--knocking").get_attribute("data-knock") == knock_id
    # "Not now" says one thing: not "stay on this page, it changes by itself" under it (the review).
    staff_page.locator("li.pa-appt--knocking").get_by_role("button", name="Not now").click()
    # It goes after the few seconds in which Undo is offered.
    expect(patient.locator(".pa-js-step-wait")).to_have_attribute("data-state", "denied", timeout=20_000)
    expect(patient.locator(".pa-js-meanwhile")).to_be_hidden()
    expect(patient.locator(".pa-js-call a[href^='tel:']")).to_be_visible()


@pytest.mark.one_backend
def test_video_service_down_at_hand_off(staff_page, pages, live_server):
    link = create_invitation(staff_page, "en")
    patient = pages.new(lang="en")
    patient.route(re.compile(r"^http://127\.0\.0\.1:\d+/"), lambda route: route.abort())
    knock(patient, link)
    staff_page.goto("/staff/")
    row = staff_page.locator("li.pa-appt--knocking")
    expect(row).to_be_visible(timeout=10_000)
    row.get_by_role("button", name="Let in").click()
    expect(patient.locator(".pa-js-step-wait")).to_have_attribute("data-state", "failed", timeout=15_000)
    expect(patient.locator(".pa-js-wait-text")).to_contain_text("The clinic will call you")
    expect(patient.locator(".pa-js-call a[href^='tel:']")).to_be_visible()
    expect(patient.get_by_role("link", name="Try the video room anyway")).to_be_visible()
    failures = staff_page.locator(".pa-js-failures .pa-notice--fail")
    expect(failures).to_contain_text("Call the patient KN", timeout=10_000)


@pytest.mark.one_backend
def test_the_patient_withdraws_from_the_waiting_room(staff_page, pages):
    link = create_invitation(staff_page, "pl")
    patient = pages.new(lang="pl")
    patient.goto(link)
    patient.goto("/visit/wait")
    patient.locator("a[href='/visit/withdraw']").click()
    patient.locator("form[action='/visit/withdraw'] button").click()
    patient.wait_for_url("**/visit/withdrawn")
    expect(patient.locator("a[href='tel:+4712345678']")).to_be_visible()
    staff_page.goto("/staff/")
    expect(staff_page.locator("li.pa-appt--withdrawn")).to_be_visible(timeout=10_000)


@pytest.mark.one_backend
def test_knocking_without_the_consent_box_says_what_is_missing(pages, invitation_factory):
    """The knock button is never a silent, disabled one: it says to tick the box and focuses it (R14)."""
    _, token = invitation_factory.create(language="en", starts_in=timedelta(minutes=10))
    patient = pages.new(lang="en")
    patient.goto(f"/i/{token}")
    patient.goto("/visit/wait")
    patient.wait_for_load_state("networkidle")  # the script has started and asked for news
    patient.locator(".pa-js-knock").click()
    expect(patient.locator(".pa-js-consent-error")).to_have_text("Tick the box first.")
    expect(patient.locator(".pa-js-consent")).to_be_focused()
    expect(patient.locator(".pa-js-consent")).to_have_attribute("aria-invalid", "true")
    assert not [r for r in patient.requests if "/api/visit/knock" in r.url]  # nothing was sent
    patient.keyboard.press("Space")
    expect(patient.locator(".pa-js-consent-error")).to_be_hidden()
    patient.locator(".pa-js-knock").click()
    expect(patient.locator(".pa-js-step-wait")).to_have_attribute("data-state", "waiting")
    # The pressed button is gone: the keyboard's place is the new heading, and the live region speaks.
    expect(patient.locator(".pa-js-wait-title")).to_be_focused()
    expect(patient.locator(".pa-js-announce")).to_contain_text("Please wait")


@pytest.mark.one_backend
@pytest.mark.parametrize("lang, back, again", [("nb", "Gå tilbake til videorommet", "Bank på igjen"),
                                               ("ar", "عُد إلى غرفة الفيديو", "اطرق الباب مرة أخرى")])
def test_after_the_call_drops_every_way_back_finds_the_room_or_a_new_knock(staff_page, pages, lang, back, again):
    """The review: Back from the video room, the waiting room reloaded and the SMS link opened again all
    showed 'Go to the video room' pointing at /visit/undefined. Now each says when the patient was let
    in, offers the room while this browser may still use it, and a knock the clinic sees as a return."""
    link = create_invitation(staff_page, lang)
    patient = pages.new(lang=lang)
    knock(patient, link)
    staff_page.goto("/staff/")
    staff_page.locator("li.pa-appt--knocking").get_by_role("button", name="Let in").click()
    patient.wait_for_url(re.compile(r"/dev/video-room"), timeout=10_000)
    room = patient.url
    wait = patient.locator(".pa-js-step-wait")

    def shows_the_way_back():
        expect(wait).to_have_attribute("data-state", "joined", timeout=10_000)
        expect(patient.get_by_role("link", name=back)).to_have_attribute("href", re.compile(r"/visit/go"))
        expect(patient.get_by_role("button", name=again)).to_be_visible()
        # Not "stay on this page, it changes by itself": that is only true while waiting.
        expect(patient.locator(".pa-js-meanwhile")).to_be_hidden()
        assert "undefined" not in patient.content()

    patient.go_back()
    shows_the_way_back()
    patient.reload()
    shows_the_way_back()
    patient.goto(link)
    patient.locator("a[href='/visit/wait']").first.click()
    shows_the_way_back()
    patient.get_by_role("link", name=back).click()
    patient.wait_for_url(room, timeout=10_000)
    patient.go_back()
    patient.get_by_role("button", name=again).click()
    expect(wait).to_have_attribute("data-state", "waiting", timeout=10_000)
    staff_page.goto("/staff/")
    expect(staff_page.locator("li.pa-appt--knocking")).to_contain_text("Knocking again (was let in)", timeout=10_000)
