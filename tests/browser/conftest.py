"""Browser fixtures: the real app on a live server, driven by Debian's Chromium through Playwright."""
from __future__ import annotations

import os

import pytest

CHROMIUM = os.environ.get("PATIENTAPP_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
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
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser`")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


class Pages:
    """Opens pages like a patient's phone; records requests and console messages."""

    def __init__(self, browser, base_url):
        self.browser, self.base_url = browser, base_url
        self.contexts = []

    def new(self, *, lang="nb", viewport=PHONE, mobile=True):
        context = self.browser.new_context(base_url=self.base_url, viewport=viewport, is_mobile=mobile,
                                           has_touch=mobile, locale={"nb": "nb-NO"}.get(lang, lang))
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


def axe_violations(axe, page) -> list[str]:
    """axe-core's violations on the page, one line each (empty when clean)."""
    results = axe.run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}×: {v['nodes'][0]['target']})"
            for v in results.response["violations"]]


def assert_lang_dir(page, lang):
    html = page.locator("html")
    assert html.get_attribute("lang") == lang
    assert html.get_attribute("dir") == ("rtl" if lang in ("ar", "ur") else "ltr")


def assert_no_horizontal_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page scrolls sideways by {overflow}px"
