"""Browser fixtures: the real app on a live server, driven by Debian's Chromium through Playwright."""
from __future__ import annotations

import os

import pytest

CHROMIUM = os.environ.get("PATIENTAPP_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/156.0.0.0 Mobile Safari/537.36")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # This machine has no outside network: keep Chromium from trying.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


@pytest.fixture(scope="session")
def live_server(session_app):
    """The session's app served on http://localhost:<port>: a secure context and a valid RP ID."""
    from patientapp.demo import serve

    with serve(session_app) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser`")
    instance = sync_playwright().start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def media_browser(playwright, media_dir, live_server, app):
    """A Chromium whose camera shows a chosen scene and whose microphone plays a chosen sound.

    `media_browser(scene="dark", sound="silence", allow=True)` returns a Pages opener for it;
    allow=False launches without the auto-accept flag, so every permission request is denied.
    """
    from tests.browser import media

    launched = []

    def launch(scene="good", sound="speech", allow=True, cameras=1):
        video = media_dir / f"{scene}.y4m"
        audio = media_dir / f"{sound}.wav"
        if not video.exists():
            media.write_video(video, media.SCENES[scene])
        if not audio.exists():
            media.write_audio(audio, sound)
        args = [a for a in CHROMIUM_ARGS if allow or a != "--use-fake-ui-for-media-stream"]
        if cameras > 1:
            # Chromium's own fake cameras (a file can feed only one): for switching between them.
            args = [a for a in args if a != "--use-fake-device-for-media-stream"]
            args.append(f"--use-fake-device-for-media-stream=device-count={cameras}")
        else:
            args += [f"--use-file-for-fake-video-capture={video}"]
        args.append(f"--use-file-for-fake-audio-capture={audio}")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        opener = Pages(browser, live_server)
        launched.append((browser, opener))
        return opener

    yield launch
    for browser, opener in launched:
        opener.close()
        browser.close()


class Pages:
    """Opens pages like a patient's phone; records requests and console messages."""

    def __init__(self, browser, base_url):
        self.browser, self.base_url = browser, base_url
        self.contexts = []

    def new(self, *, lang="nb", viewport=PHONE, mobile=True, user_agent=None, service_workers="block"):
        # The service worker pre-caches ~30 files per language after every first page load; only the
        # tests about it (test_pwa.py) let it run, the rest would spend their time on its downloads.
        context = self.browser.new_context(base_url=self.base_url, viewport=viewport, is_mobile=mobile,
                                           has_touch=mobile, locale={"nb": "nb-NO"}.get(lang, lang),
                                           user_agent=user_agent, service_workers=service_workers)
        self.contexts.append(context)
        page = context.new_page()
        page.requests, page.console = [], []
        page.on("request", lambda request: page.requests.append(request))
        page.on("console", lambda message: page.console.append(message.text))
        return page

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser, live_server, app):
    opener = Pages(browser, live_server)
    yield opener
    opener.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def preload_axe(context, axe):
    """axe-core in every page of the context from its first line: one script per page, no re-sending."""
    context.add_init_script(script=axe.axe_script)


def axe_violations(axe, page) -> list[str]:
    """axe-core's violations on the page, one line each (empty when clean).

    axe-playwright's own run() sends the whole axe-core script (half a megabyte) on every call; a
    page whose context preloaded it (preload_axe) runs it where it is."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe.axe_script)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}×: {v['nodes'][0]['target']})"
            for v in results["violations"]]


def assert_lang_dir(page, lang):
    html = page.locator("html")
    assert html.get_attribute("lang") == lang
    assert html.get_attribute("dir") == ("rtl" if lang in ("ar", "ur") else "ltr")


def assert_no_horizontal_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page scrolls sideways by {overflow}px"


# --- the clinic and a signed-in staff member ----------------------------------------------------

@pytest.fixture
def clinic(db, live_server):
    from tests.conftest import template_room_clinic

    # Another origin: a real video service is elsewhere too.
    return template_room_clinic(db, live_server.replace("localhost", "127.0.0.1"))


@pytest.fixture
def staff_page(pages, app, clinic):
    """A staff member who has enrolled a passkey and is signed in, on a desktop browser."""
    from patientapp.demo import enrol_staff
    from patientapp.models import utcnow
    from tests.browser.helpers import DESKTOP, add_authenticator

    with app.app_context():
        link = enrol_staff("test", f"kari-{utcnow().timestamp()}@example.no", "Kari", "admin", "en")
    page = pages.new(lang="en", viewport=DESKTOP, mobile=False)
    page.cdp, page.authenticator = add_authenticator(page)
    page.goto(link)
    assert page.url.endswith("/staff/enrol")
    page.get_by_label("Name for this passkey").fill("Work PC")
    page.get_by_role("button", name="Create passkey").click()
    page.wait_for_url("**/staff/")
    return page
