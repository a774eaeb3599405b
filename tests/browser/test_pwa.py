"""Installable and offline (SECURITY.md R57, R58), in Chromium on a phone.

Playwright's `set_offline` does not reach a service worker's own fetches, so the offline tests run
the app on a server of their own and stop it: the network is then really gone, for the page and
for the worker alike. Each such server has its own port, hence its own origin and its own empty
Cache Storage.
"""
from __future__ import annotations

import dataclasses
import re
import time
from contextlib import contextmanager

import pytest
from markupsafe import Markup

from patientapp.demo import serve
from patientapp.guides import SLUGS
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, assert_lang_dir, axe_violations

# The worker and its caches live in the browser; tests/integration/test_pwa.py proves both databases.
pytestmark = pytest.mark.one_backend

# Anything that would show a patient's link, session or workspace in the browser's storage (R57).
PERSONAL = re.compile(r"/i/|/d/|/api/|/staff|/visit")


@contextmanager
def own_server(app):
    """The app on a server this test may stop: `stop()` takes the network away for good."""
    manager = serve(app)
    base_url = manager.__enter__()
    state = {"running": True}

    def stop():
        if state["running"]:
            state["running"] = False
            manager.__exit__(None, None, None)

    try:
        yield base_url, stop
    finally:
        stop()


def new_page(browser, base_url, lang="nb"):
    context = browser.new_context(base_url=base_url, viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale={"nb": "nb-NO"}.get(lang, lang), service_workers="allow")
    page = context.new_page()
    page.console = []
    page.on("console", lambda message: page.console.append(message.text))
    return context, page


def eventually(page, script, arg=None, timeout=20.0):
    """Poll an async page function until it returns true (wait_for_function does not await promises)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        assert time.monotonic() < deadline, f"timed out waiting for: {script}"
        page.wait_for_timeout(100)


def wait_until_kept(page, lang="nb"):
    """Wait until the worker controls the page and has kept this language's pages."""
    eventually(page, """async (lang) => {
        const registration = await navigator.serviceWorker.getRegistration();
        if (!registration || !registration.active || registration.active.state !== 'activated') return false;
        const names = await caches.keys();
        return names.some((name) => name.startsWith(`pa-precache-${lang}-`)) && !!navigator.serviceWorker.controller;
    }""", lang)


def wait_for_clinic_contact(page, present=True):
    eventually(page, """async (present) => {
        const has = await caches.has('pa-clinic-contact')
            && (await (await caches.open('pa-clinic-contact')).keys()).length > 0;
        return has === present;
    }""", present)


def storage_dump(page) -> dict:
    """Every Cache Storage name with its request URLs and bodies, web storage and IndexedDB names."""
    return page.evaluate("""async () => {
        const caches_ = {};
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            caches_[name] = [];
            for (const request of await cache.keys()) {
                const response = await cache.match(request);
                caches_[name].push({url: request.url, responseUrl: response.url, body: await response.text()});
            }
        }
        const dbs = indexedDB.databases ? (await indexedDB.databases()).map((db) => db.name) : [];
        return {caches: caches_, local: JSON.stringify({...localStorage}),
                session: JSON.stringify({...sessionStorage}), indexedDB: dbs};
    }""")


def guide_title(app, slug, lang):
    return app.extensions["patientapp.guides"].get(slug, lang).title


@pytest.mark.parametrize("lang", ["nb", "ar", "ur"])
def test_installable_on_a_phone(playwright, app, live_server, tmp_path, lang):
    """Chromium's own installability check finds nothing missing, in a left-to-right and right-to-left language."""
    # A real profile: Chromium never offers installation in an off-the-record context.
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        base_url=live_server, viewport=PHONE, is_mobile=True, has_touch=True, locale=lang)
    try:
        page = context.new_page()
        page.goto(f"/guide/before?lang={lang}")
        assert_lang_dir(page, lang)
        wait_until_kept(page, lang)
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith(f"/manifest-{lang}.webmanifest") and manifest["errors"] == []
        assert cdp.send("Page.getInstallabilityErrors") == {"installabilityErrors": []}
    finally:
        context.close()


def test_guide_reloads_offline_and_unknown_pages_show_the_offline_page(browser, app, axe):
    with own_server(app) as (base_url, stop):
        context, page = new_page(browser, base_url)
        page.goto("/guide/before")
        wait_until_kept(page)
        stop()
        context.set_offline(True)

        page.reload()
        assert page.locator("h1").inner_text() == guide_title(app, "before", "nb")
        # The stylesheet came from the cache too: the header has its colour, not the browser's default.
        assert page.locator(".pa-header").evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
        # A guide never opened before was kept as well, and so were the index and consent information.
        for path, slug in (("/guide/consent", "consent"), ("/guide/no-sound?lang=nb", "no-sound")):
            page.goto(path)
            assert page.locator("h1").inner_text() == guide_title(app, slug, "nb")
        page.goto("/guide")
        assert page.locator("main a[href^='/guide/']").count() == len(SLUGS)

        # Never kept: the equipment check (it needs the network anyway). Without an invitation the
        # offline page cannot know the clinic, and says where to find its number.
        page.goto("/check")
        assert page.locator("#video-fails-heading").is_visible()
        assert not page.locator("main a[href^='tel:']").count()
        assert_lang_dir(page, "nb")
        assert axe_violations(axe, page) == []
        context.close()


def test_offline_page_shows_the_clinic_number_after_an_invitation(browser, app, invitation_factory, axe):
    invitation, token = invitation_factory.create(language="ar", phone="+4722334455")
    with own_server(app) as (base_url, stop):
        context, page = new_page(browser, base_url, lang="ar")
        page.goto(f"/i/{token}")
        assert page.url.endswith("/visit")
        wait_until_kept(page, "ar")
        wait_for_clinic_contact(page)
        stop()
        context.set_offline(True)

        # The patient's own page is never kept: offline, it is the offline page, with the clinic's number.
        page.goto("/visit")
        assert page.locator("#video-fails-heading").is_visible()
        call = page.locator("main a[href='tel:+4722334455']")
        assert call.is_visible() and call.inner_text().strip() == "+47 22 33 44 55"
        assert_lang_dir(page, "ar")
        assert axe_violations(axe, page) == []
        page.goto("/visit/wait")
        assert page.locator("main a[href='tel:+4722334455']").is_visible()
        # The guides still work, in the invitation's language.
        page.goto("/guide/no-picture")
        assert page.locator("h1").inner_text() == guide_title(app, "no-picture", "ar")
        dump = storage_dump(page)
        # The workspace is never answered by the worker: offline it is the browser's own error.
        with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
            page.goto("/staff/login")
        context.close()

    names = set(dump["caches"])
    assert names == {"pa-clinic-contact"} | {n for n in names if n.startswith("pa-precache-ar-")}, names
    for name, entries in dump["caches"].items():
        for entry in entries:
            for url in (entry["url"], entry["responseUrl"]):
                assert not PERSONAL.search(url.split("?")[0].removeprefix(base_url)), (name, url)
            assert token not in entry["body"] and invitation.ref not in entry["body"], (name, entry["url"])
            assert "/i/" not in entry["body"] and "/d/" not in entry["body"]
    # Only the offline page knows the clinic's number; no kept page knows the appointment.
    contact = dump["caches"]["pa-clinic-contact"]
    assert [e["url"].removeprefix(base_url) for e in contact] == ["/offline/ar"]
    assert "+47 22 33 44 55" in contact[0]["body"]
    for storage in (dump["local"], dump["session"]):
        assert storage == "{}"
    assert dump["indexedDB"] == []


def test_clinic_number_is_forgotten_when_the_invitation_ends(browser, app, invitation_factory, db):
    from patientapp.models import Invitation

    invitation, token = invitation_factory.create(phone="+4722334455")
    with own_server(app) as (base_url, stop):
        context, page = new_page(browser, base_url)
        page.goto(f"/i/{token}")
        wait_until_kept(page)
        wait_for_clinic_contact(page)
        row = db.get(Invitation, invitation.id)
        row.state = "cancelled"
        db.commit()
        # Any visit page asks again; the server now answers the generic page, and the copy goes.
        page.goto("/visit")
        wait_for_clinic_contact(page, present=False)
        stop()
        context.set_offline(True)
        page.goto("/visit")
        assert page.locator("#video-fails-heading").is_visible()
        assert not page.locator("main a[href^='tel:']").count()
        context.close()


def test_a_new_version_takes_over_and_removes_the_old(browser, app, monkeypatch):
    library = app.extensions["patientapp.guides"]
    with own_server(app) as (base_url, stop):
        context, page = new_page(browser, base_url)
        page.goto("/guide/before")
        wait_until_kept(page)
        first = page.evaluate("caches.keys()")
        assert len(first) == 1

        # A deploy changes a guide: the worker's script changes with it.
        old = library.get("during", "nb")
        monkeypatch.setitem(library.guides, ("nb", "during"),
                            dataclasses.replace(old, html=old.html + Markup("<p>Ny versjon av veiledningen.</p>")))
        app.extensions.pop("patientapp.pwa", None)
        page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        eventually(page, """async (old) => {
            const names = await caches.keys();
            return names.length === 1 && names[0] !== old && names[0].startsWith('pa-precache-nb-');
        }""", first[0])
        # The open page is now controlled by the new worker, without a reload.
        eventually(page, """async () => {
            const registration = await navigator.serviceWorker.getRegistration();
            return registration.active.state === 'activated' && !registration.waiting && !registration.installing;
        }""")

        stop()
        context.set_offline(True)
        page.goto("/guide/during")
        assert "Ny versjon av veiledningen." in page.locator("main").inner_text()
        context.close()
    app.extensions.pop("patientapp.pwa", None)


def test_workspace_pages_register_no_worker(pages):
    page = pages.new(service_workers="allow")
    page.goto("/staff/login")
    assert not page.locator("link[rel=manifest]").count()
    assert not page.locator("script[data-pa-sw]").count()
    page.wait_for_load_state("load")
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then((r) => r.length)") == 0
