"""The equipment check in a real Chromium with chosen pictures and sounds (issue: equipment check).

Each scenario launches Chromium with its own fake camera file and microphone file. Statuses are
read from data-check/data-status, as assistive technology and the clinic's summary see them.
"""
import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from patientapp import i18n
from patientapp.models import Invitation
from tests.browser.conftest import ANDROID_CHROME, assert_lang_dir, assert_no_horizontal_scroll, axe_violations

# The check runs in the browser; the database only holds the invitation. Integration tests prove both.
pytestmark = pytest.mark.one_backend

SLOW = 20_000  # ms: the microphone listens for 5 s before it calls silence a problem


def status(page, check):
    return page.locator(f"section[data-check={check}]")


def start(page, token, path="/visit/check"):
    page.goto(f"/i/{token}")
    page.goto(path)
    page.get_by_role("button", name=page.locator(".pa-js-start-media").inner_text()).click()


def test_good_light_and_speech_pass_and_the_clinic_gets_only_a_summary(media_browser, invitation_factory, db):
    invitation, token = invitation_factory.create(language="en")
    page = media_browser(scene="good", sound="speech").new(lang="en")
    page.add_init_script("""
        window.__tracks = [];
        const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        navigator.mediaDevices.getUserMedia = async (c) => {
            const stream = await original(c); window.__tracks.push(...stream.getTracks()); return stream; };
    """)
    start(page, token)
    for check in ("browser", "camera", "light", "microphone", "network", "battery"):
        expect(status(page, check)).to_have_attribute("data-status", "ok", timeout=SLOW)
    # In words for the patient; the size of the generated video only in the helpdesk's details.
    expect(status(page, "camera")).to_contain_text("The picture is not very sharp")
    expect(status(page, "camera").locator(".pa-js-details-text")).to_contain_text("320")
    expect(page.locator(".pa-js-meter-row")).to_be_visible()
    assert page.locator("meter").evaluate("m => m.max") == 100

    page.get_by_role("button", name="Play a test sound").click()
    with page.expect_response(lambda r: r.request.method == "POST" and '"speaker":"ok"' in (r.request.post_data or ""),
                              timeout=5000) as saved:
        page.get_by_role("button", name="Yes").click()
    assert saved.value.status == 200, (saved.value.status, saved.value.text()[:300])
    expect(status(page, "speaker")).to_have_attribute("data-status", "ok")
    expect(page.locator(".pa-summary")).to_have_attribute("data-summary", "ok")
    expect(page.locator(".pa-js-summary-text")).to_have_text("Everything works. You are ready.")
    expect(page.locator(".pa-js-summary-saved")).to_be_visible(timeout=5000)

    # Only one word per check reached the server (R56): no request body near a kilobyte.
    posts = [r for r in page.requests if r.method == "POST"]
    assert posts and all(len(r.post_data or "") < 1024 for r in page.requests)
    sent = json.loads(posts[-1].post_data)
    assert sent == {c: "ok" for c in ("browser", "camera", "light", "microphone", "speaker", "network", "battery")}
    db.expire_all()
    stored = db.scalar(select(Invitation).where(Invitation.id == invitation.id))
    assert stored.check_summary == sent and stored.checked_at is not None

    # Leaving the page stops the camera and the microphone.
    assert page.evaluate("window.__tracks.some(t => t.readyState === 'live')")
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    assert page.evaluate("window.__tracks.length > 0 && window.__tracks.every(t => t.readyState === 'ended')")


def test_a_dark_room_is_named_and_clears_when_the_light_improves(media_browser, invitation_factory):
    _, token = invitation_factory.create(language="en")
    page = media_browser(scene="dark-then-good", sound="silence").new(lang="en")
    start(page, token)
    light = status(page, "light")
    expect(light).to_have_attribute("data-status", "warn", timeout=SLOW)
    expect(light).to_contain_text("too dark")
    expect(light.locator(".pa-js-help a")).to_have_attribute("href", "/guide/poor-light?from=check")
    # The picture brightens in the file: the advice must turn green by itself.
    expect(light).to_have_attribute("data-status", "ok", timeout=SLOW)
    expect(light).to_contain_text("The light is good")


def test_silence_is_a_problem_with_help(media_browser, invitation_factory):
    _, token = invitation_factory.create(language="en")
    page = media_browser(scene="good", sound="silence").new(lang="en")
    start(page, token)
    microphone = status(page, "microphone")
    expect(microphone).to_contain_text("Say something", timeout=SLOW)
    expect(microphone).to_have_attribute("data-status", "fail", timeout=SLOW)
    expect(microphone).to_contain_text("We cannot hear you")
    expect(page.locator(".pa-summary")).to_have_attribute("data-summary", "fail")
    expect(page.locator(".pa-js-summary-list a[href='/guide/no-sound?from=check']")).to_be_visible()


@pytest.mark.parametrize("scene, status_word, words", [
    ("backlit", "warn", "strong light behind you"),
    ("black", "fail", "The picture is black"),
])
def test_backlight_and_a_covered_camera_get_their_own_advice(media_browser, invitation_factory,
                                                             scene, status_word, words):
    _, token = invitation_factory.create(language="en")
    page = media_browser(scene=scene, sound="speech").new(lang="en")
    start(page, token)
    light = status(page, "light")
    expect(light).to_have_attribute("data-status", status_word, timeout=SLOW)
    expect(light).to_contain_text(words)


@pytest.mark.parametrize("lang, steps", [("en", "On Android"), ("nb", "På Android")])
def test_a_blocked_camera_leads_to_the_steps_for_this_browser(media_browser, invitation_factory, lang, steps):
    _, token = invitation_factory.create(language=lang)
    page = media_browser(allow=False).new(lang=lang, user_agent=ANDROID_CHROME)  # permission denied
    start(page, token)
    camera = status(page, "camera")
    expect(camera).to_have_attribute("data-status", "fail", timeout=SLOW)
    expect(status(page, "microphone")).to_have_attribute("data-status", "fail")
    help_box = camera.locator(".pa-js-help")
    expect(help_box).to_contain_text(steps)
    expect(help_box.locator("a")).to_have_attribute("href", "/guide/blocked?from=check")
    expect(status(page, "light")).to_have_attribute("data-status", "pending")


def test_slow_network_is_reported(media_browser, invitation_factory):
    _, token = invitation_factory.create(language="en")
    page = media_browser().new(lang="en")
    page.goto(f"/i/{token}")
    page.goto("/visit/check")
    network = status(page, "network")
    expect(network).not_to_have_attribute("data-status", "pending", timeout=30_000)
    # The line slows down after the page came (a page loaded at that speed only makes the test slow).
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 400,
                                                  "downloadThroughput": 40 * 1024, "uploadThroughput": 40 * 1024})
    page.locator(".pa-js-again").click()
    expect(network).to_have_attribute("data-status", "fail", timeout=30_000)
    expect(network).to_contain_text("too slow")
    expect(network.locator(".pa-js-details")).to_contain_text("Mbit/s")


def test_unreachable_stun_server_is_reported(media_browser, invitation_factory):
    _, token = invitation_factory.create(language="en", room_settings={"ice_servers": [{"urls": "stun:127.0.0.1:9"}]})
    page = media_browser().new(lang="en")
    page.goto(f"/i/{token}")
    page.goto("/visit/check")
    network = status(page, "network")
    expect(network).to_have_attribute("data-status", "warn", timeout=SLOW)
    expect(network).to_contain_text("could not be reached")


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_public_check_in_every_language(media_browser, axe, lang):
    page = media_browser().new(lang=lang)
    page.goto(f"/check?lang={lang}")
    assert_lang_dir(page, lang)
    page.locator(".pa-js-start-media").click()
    expect(status(page, "camera")).to_have_attribute("data-status", "ok", timeout=SLOW)
    expect(status(page, "microphone")).to_have_attribute("data-status", "ok", timeout=SLOW)
    expect(status(page, "network")).not_to_have_attribute("data-status", "pending", timeout=SLOW)
    assert axe_violations(axe, page) == []
    assert_no_horizontal_scroll(page)
    # Results are announced politely, in the page's language.
    live = page.locator(".pa-js-live")
    assert live.get_attribute("aria-live") == "polite" and live.inner_text().strip()
    # The public check sends nothing back.
    assert not [r for r in page.requests if r.method == "POST"]
    assert not [m for m in page.console if "Content Security Policy" in m]


def test_check_without_scripts_explains_how_to_check_by_hand(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False,
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/check?lang=en")
    expect(page.locator(".pa-no-js")).to_be_visible()
    expect(page.locator(".pa-js-start-media")).to_be_hidden()
    context.close()


def test_two_cameras_can_be_switched_on_a_phone_and_chosen_on_a_pc(media_browser, invitation_factory):
    _, token = invitation_factory.create(language="en")
    chromium = media_browser(cameras=2)
    phone = chromium.new(lang="en")
    start(phone, token)
    switch = phone.get_by_role("button", name="Switch camera")
    expect(switch).to_be_visible(timeout=SLOW)
    switch.click()
    expect(status(phone, "camera")).to_have_attribute("data-status", "ok")
    assert phone.evaluate("document.querySelector('.pa-js-video').srcObject.getVideoTracks()[0].readyState") == "live"

    desk = chromium.new(lang="en", viewport={"width": 1280, "height": 900}, mobile=False)
    start(desk, token)
    select = desk.get_by_label("Choose camera")
    expect(select).to_be_visible(timeout=SLOW)
    options = select.locator("option")
    expect(options).to_have_count(2)
    first = desk.evaluate("document.querySelector('.pa-js-video').srcObject.getVideoTracks()[0].label")
    select.select_option(index=1)
    # A function, not an expression string: strings are eval'd, which the page's CSP refuses.
    desk.wait_for_function("(first) => document.querySelector('.pa-js-video').srcObject.getVideoTracks()[0].label"
                           " !== first",
                           arg=first)
    expect(status(desk, "camera")).to_have_attribute("data-status", "ok")


def test_check_again_starts_over(media_browser, invitation_factory):
    _, token = invitation_factory.create(language="en")
    page = media_browser(scene="good", sound="speech").new(lang="en")
    start(page, token)
    expect(status(page, "microphone")).to_have_attribute("data-status", "ok", timeout=SLOW)
    page.get_by_role("button", name="Play a test sound").click()
    page.get_by_role("button", name="No").click()
    expect(status(page, "speaker")).to_have_attribute("data-status", "warn")
    expect(status(page, "speaker")).to_contain_text("Turn the volume up")
    page.get_by_role("button", name="Check again").click()
    expect(status(page, "speaker")).to_have_attribute("data-status", "pending")
    expect(page.locator(".pa-js-heard")).to_be_hidden()
    for check in ("camera", "microphone", "network"):
        expect(status(page, check)).to_have_attribute("data-status", "ok", timeout=SLOW)
