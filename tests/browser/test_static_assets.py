"""Static files in a real browser: every module the check loads is fingerprinted and found (issue 5)."""
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from patientapp import assets
from tests.browser.conftest import PHONE

# Static files do not touch the database.
pytestmark = pytest.mark.one_backend

FINGERPRINTED = re.compile(r"^http://localhost:\d+/static/.+\.[0-9a-f]{12}\.[a-z]+$")


@pytest.fixture
def page(browser, live_server, app):
    # No service worker: its precaching would fetch these files too, and this is about the page's own.
    context = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="nb-NO", service_workers="block")
    page = context.new_page()
    page.console = []
    page.on("console", lambda message: page.console.append(message.text))
    yield page
    context.close()


def test_the_check_loads_only_fingerprinted_files_and_all_of_them(app, page, invitation_factory):
    _, token = invitation_factory.create()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(f"/i/{token}")
    responses.clear()
    page.goto("/visit/check")
    # The entry module ran, so every module it imports statically was found and evaluated.
    expect(page.locator("section[data-check=browser]")).not_to_have_attribute("data-status", "pending")
    expect(page.locator("section[data-check=network]")).not_to_have_attribute("data-status", "pending", timeout=20_000)

    static = [r for r in responses if "/static/" in r.url]
    scripts = [r for r in static if r.request.resource_type == "script"]
    assert len(scripts) >= 10, [r.url for r in scripts]
    assert [r.url for r in static if not FINGERPRINTED.match(r.url)] == []
    assert [(r.url, r.status) for r in responses if r.status >= 400] == []
    # The whole module graph is preloaded from the page's head, and nothing is fetched twice.
    preloaded = page.eval_on_selector_all("link[rel=modulepreload]", "links => links.map(l => l.href)")
    with app.test_request_context():
        graph = assets.module_graph("js/check/equipment-check.js")
    assert len(graph) >= 10
    assert {urlsplit(url).path for url in preloaded} == set(graph)
    assert {urlsplit(r.url).path for r in scripts} >= set(graph)
    fetched = [r.url for r in static if r.request.resource_type in ("script", "stylesheet")]
    assert [u for u in set(fetched) if fetched.count(u) > 1] == []
    for response in static:
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-encoding"] == "gzip"  # Chromium asks for it
    assert not [m for m in page.console if "Failed to load" in m or "Content Security Policy" in m]

    # Another visit takes every static file from the browser's cache: the server is not asked again.
    asked = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        asked.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app = recording
    try:
        page.goto("/visit")
        page.goto("/visit/check")
        expect(page.locator("section[data-check=browser]")).not_to_have_attribute("data-status", "pending")
        expect(page.locator("section[data-check=network]")).not_to_have_attribute("data-status", "pending",
                                                                                  timeout=20_000)
    finally:
        app.wsgi_app = inner
    assert "/visit/check" in asked
    # (Chromium's favicon loader keeps a cache of its own and asks again; the page's files do not.)
    assert [path for path in asked if path.startswith("/static/") and "/icons/" not in path] == []
