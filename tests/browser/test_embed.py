"""Embedding on a clinic's website, in Chromium: harness pages on other localhost ports (distinct
origins) frame the guides and the check through embed.js (R28, R36, R40), and an administrator
registers a website and sees the live preview."""
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from patientapp.models import EmbedOrigin, utcnow
from tests.browser.conftest import axe_violations

# The origins' storage is proven on both databases in tests/integration/test_embed.py.
pytestmark = pytest.mark.one_backend

SLOW = 15_000


@contextmanager
def harness_site(pages_by_path: dict[str, str]):
    """A clinic's website stand-in on its own localhost port: serves the given HTML pages."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = pages_by_path.get(self.path.split("?")[0])
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "not found").encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _page(body: str) -> str:
    return ('<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Legekontoret</title></head>'
            f'<body>{body}</body></html>')


def snippet(live_server, page="guides", lang="nb"):
    return _page(f'<h1>Nordby legekontor</h1><p>Velkommen.</p>'
                 f'<script src="{live_server}/embed/embed.js" data-clinic="test" data-page="{page}" data-lang="{lang}" '
                 f'data-title="Veiledninger" async></script><p id="after">Slutt</p>')


@pytest.fixture
def sites(live_server):
    """Two clinic websites on other ports; the first is registered for the clinic, the second is not."""
    pages_by_path = {
        "/guides": snippet(live_server),
        "/check": snippet(live_server, page="check", lang="en"),
        # A web editor's own iframe without allow="camera; microphone": the check cannot use the camera.
        "/bare-check": _page(f'<h1>Sjekk</h1><iframe title="Sjekk" src="{live_server}/embed/test/en/check" '
                             f'width="380" height="900"></iframe>'),
        # Two frames on one page: each listens to its own frame only (event.source), though both are ours.
        "/two": _page(f'<h1>To</h1><script src="{live_server}/embed/embed.js" data-clinic="test" data-page="guides" '
                      f'data-lang="nb" async></script><script src="{live_server}/embed/embed.js" data-clinic="test" '
                      f'data-page="check" data-lang="en" async></script>'),
        "/staff": _page(f'<h1>Innlogging</h1><iframe title="x" src="{live_server}/staff/login"></iframe>'),
    }
    with harness_site(pages_by_path) as allowed, harness_site(pages_by_path) as disallowed:
        yield allowed, disallowed


@pytest.fixture
def registered(db, clinic, sites):
    allowed, _ = sites
    db.add(EmbedOrigin(clinic_id=clinic.id, origin=allowed, created_at=utcnow()))
    db.commit()
    return sites


def refused(message: str) -> bool:
    """Chromium's console line for a frame-ancestors block (older versions: "Refused to frame")."""
    return (("Refused to frame" in message or ("Framing" in message and "violates" in message))
            and "frame-ancestors" in message)


def frame_height(page):
    return page.evaluate("document.querySelector('iframe.patientapp-embed').getBoundingClientRect().height")


def content_height(frame):
    return frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")


def wait_for_fit(page, frame):
    """The frame's height follows its content (within a pixel), by the frame's own messages."""
    page.wait_for_function("""(want) => Math.abs(
        document.querySelector('iframe.patientapp-embed').getBoundingClientRect().height - want) <= 1""",
                           arg=content_height(frame), timeout=SLOW)


def embed_frame(page):
    page.wait_for_selector("iframe.patientapp-embed")
    handle = page.query_selector("iframe.patientapp-embed")
    return handle.content_frame()


def test_a_registered_site_shows_the_guides_sized_to_fit_without_cookies(pages, registered, live_server):
    allowed, _ = registered
    page = pages.new(lang="nb")
    page.goto(allowed + "/guides")
    inner = page.frame_locator("iframe.patientapp-embed")
    expect(inner.locator("h1")).to_have_text("Veiledninger og hjelp", timeout=SLOW)
    frame = embed_frame(page)
    iframe = page.locator("iframe.patientapp-embed")
    expect(iframe).to_have_attribute("allow", "camera; microphone")
    wait_for_fit(page, frame)
    assert frame_height(page) > 1000  # taller than the 600 px it started with: no inner scroll bar
    expect(iframe).to_have_attribute("title", "Veiledninger og hjelp – Nordby helsesenter")

    # Navigation and the language switch work inside the frame, and the frame refits (R28).
    inner.get_by_role("link", name="Ekko eller pipende lyd").first.click()
    expect(inner.locator("h1")).to_have_text("Ekko eller pipende lyd", timeout=SLOW)
    assert "/embed/test/nb/guide/echo" in frame.url
    wait_for_fit(page, frame)
    inner.locator(".pa-languages a[lang=ar]").click()
    expect(inner.locator("html")).to_have_attribute("dir", "rtl", timeout=SLOW)
    assert frame.url.endswith("/embed/test/ar/guide/echo")
    wait_for_fit(page, frame)
    # Nothing remembered the language, or anything else, in a cookie.
    assert page.context.cookies() == []

    # Someone else's message about the height is ignored: only the app's own frame is heard.
    before = frame_height(page)
    page.evaluate("window.postMessage({type: 'patientapp:height', height: 5}, '*')")
    page.evaluate("""() => { const f = document.createElement('iframe'); document.body.append(f);
        f.contentWindow.parent.postMessage({type: 'patientapp:height', height: 7}, '*'); }""")
    page.wait_for_timeout(300)
    assert frame_height(page) == before
    assert not [m for m in page.console if "Content Security Policy" in m or refused(m)], page.console


def test_an_unregistered_site_is_refused_and_staff_pages_frame_nowhere(pages, registered):
    allowed, disallowed = registered
    page = pages.new(lang="nb")
    page.goto(disallowed + "/guides")
    page.wait_for_selector("iframe.patientapp-embed")
    with pytest.raises(PlaywrightTimeout):
        page.frame_locator("iframe.patientapp-embed").locator("h1").wait_for(timeout=3_000)
    assert any(refused(m) and "frame-ancestors 'self' " + allowed in m for m in page.console), page.console

    for site in (allowed, disallowed):
        staff = pages.new(lang="nb")
        staff.goto(site + "/staff")
        with pytest.raises(PlaywrightTimeout):
            staff.frame_locator("iframe").locator("h1").wait_for(timeout=2_000)
        assert any(refused(m) and "frame-ancestors 'none'" in m for m in staff.console), staff.console


def test_the_check_works_in_a_frame_that_passes_the_camera_on(media_browser, registered):
    allowed, _ = registered
    page = media_browser().new(lang="en")
    page.goto(allowed + "/check")
    inner = page.frame_locator("iframe.patientapp-embed")
    expect(inner.locator("h1")).to_have_text("Check your equipment", timeout=SLOW)
    expect(inner.locator(".pa-js-new-window")).to_be_hidden()
    inner.locator(".pa-js-start-media").click()
    expect(inner.locator('[data-check="camera"]')).to_have_attribute("data-status", "ok", timeout=SLOW)
    expect(inner.locator('[data-check="microphone"]')).not_to_have_attribute("data-status", "fail")
    expect(inner.locator(".pa-js-new-window")).to_be_hidden()
    # Guide links in the embedded check stay in the embed.
    assert inner.locator(".pa-js-help a").evaluate_all("links => links.every(a => "
                                                       "a.pathname.startsWith('/embed/test/'))")
    wait_for_fit(page, embed_frame(page))


def test_a_frame_without_camera_permission_offers_a_new_window(media_browser, registered):
    allowed, _ = registered
    page = media_browser().new(lang="en")
    page.goto(allowed + "/bare-check")
    inner = page.frame_locator("iframe")
    expect(inner.locator("h1")).to_have_text("Check your equipment", timeout=SLOW)
    # The frame may not use the camera: the check says so before anyone presses a button (R40).
    notice = inner.locator(".pa-js-new-window")
    expect(notice).to_be_visible(timeout=SLOW)
    inner.locator(".pa-js-start-media").click()
    camera = inner.locator('[data-check="camera"]')
    expect(camera).to_have_attribute("data-status", "fail", timeout=SLOW)
    expect(camera).to_contain_text("This website does not let the check use your camera")
    expect(camera).not_to_contain_text("On Android")  # browser settings would not help here
    link = notice.get_by_role("link", name="Open the check in a new window")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener")
    with page.context.expect_page() as popup_info:
        link.click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert popup.url.endswith("/check?lang=en")
    # In a window of its own the camera works.
    popup.locator(".pa-js-start-media").click()
    expect(popup.locator('[data-check="camera"]')).to_have_attribute("data-status", "ok", timeout=SLOW)
    assert popup.evaluate("window.opener") is None


def test_embedded_pages_are_accessible_in_a_right_to_left_language(pages, axe, clinic):
    page = pages.new(lang="ar")
    for path in ("/embed/test/ar/", "/embed/test/ur/guide/blocked", "/embed/test/ar/check"):
        page.goto(path)
        assert axe_violations(axe, page) == [], path
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, path
    assert page.context.cookies() == []


def test_an_administrator_registers_the_site_writes_a_section_and_previews_it(staff_page, pages, sites, axe):
    allowed, _ = sites
    staff_page.get_by_role("link", name="Website").click()
    staff_page.wait_for_url("**/staff/website")
    # Before the site is registered, its page cannot show the guides.
    site = pages.new(lang="nb")
    site.goto(allowed + "/guides")
    with pytest.raises(PlaywrightTimeout):
        site.frame_locator("iframe.patientapp-embed").locator("h1").wait_for(timeout=2_000)

    staff_page.get_by_label("Website address").fill("https://*.example.no")
    staff_page.get_by_role("button", name="Add website").click()
    expect(staff_page.locator(".pa-error")).to_contain_text("Wildcards")
    staff_page.get_by_label("Website address").fill(allowed + "/")
    staff_page.get_by_role("button", name="Add website").click()
    staff_page.wait_for_url("**/staff/website")
    expect(staff_page.locator("table")).to_contain_text(allowed)

    staff_page.locator("a[href='/staff/website/sections/nb']").click()
    staff_page.get_by_label("Text").fill("**Telefontid:** mandag–fredag 08–15\n\n- Video: onsdager 13–15")
    staff_page.get_by_role("button", name="Save").click()
    staff_page.wait_for_url("**/staff/website")

    # The live preview is the real embed, sized to fit; the snippet is ready to copy.
    preview = staff_page.frame_locator(".pa-embed-preview iframe")
    expect(preview.locator(".pa-clinic-section")).to_contain_text("Video: onsdager 13–15", timeout=SLOW)
    wait_for_fit(staff_page, embed_frame(staff_page))
    expect(staff_page.locator("#snippet")).to_have_value(f'<script src="{staff_page.url.split("/staff")[0]}'
                                                        '/embed/embed.js" '
                                                        'data-clinic="test" data-page="guides" data-lang="en" '
                                                        'data-title="Guides and help" async></script>')
    expect(staff_page.get_by_role("button", name="Copy the code")).to_be_visible()
    assert axe_violations(axe, staff_page) == []

    # Now the clinic's site shows it too.
    site.reload()
    expect(site.frame_locator("iframe.patientapp-embed").locator(".pa-clinic-section")).to_contain_text(
        "Telefontid", timeout=SLOW)


def test_two_frames_on_one_page_each_fit_their_own_content(pages, registered):
    allowed, _ = registered
    page = pages.new(lang="nb")
    page.goto(allowed + "/two")
    page.wait_for_function("document.querySelectorAll('iframe.patientapp-embed').length === 2")
    handles = page.query_selector_all("iframe.patientapp-embed")
    frames = [h.content_frame() for h in handles]
    for frame in frames:
        frame.wait_for_selector("h1", timeout=SLOW)
    # The check's content still changes as its network test finishes: compare at the same moment.
    deadline = time.monotonic() + SLOW / 1000
    while True:
        heights = [h.evaluate("f => f.getBoundingClientRect().height") for h in handles]
        wants = [content_height(f) for f in frames]
        if all(abs(h - w) <= 1 for h, w in zip(heights, wants, strict=True)) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    assert all(abs(h - w) <= 1 for h, w in zip(heights, wants, strict=True)), (heights, wants)
    assert abs(wants[0] - wants[1]) > 50  # different pages, different heights: neither took the other's
