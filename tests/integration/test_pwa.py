"""The manifest, the service worker's script and the offline page, through the Flask client (R57, R58)."""
from __future__ import annotations

import dataclasses
import json
import struct
from datetime import UTC, timedelta

import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup

from patientapp import i18n, pwa
from patientapp.guides import SLUGS
from tests.pages import assert_page_ok

LANGS = list(i18n.LANGUAGES)
NEVER_KEPT = ("/i/", "/d/", "/visit", "/api/", "/staff")


def worker_config(client, lang):
    response = client.get(f"/sw-{lang}.js")
    assert response.status_code == 200
    line = next(line for line in response.get_data(as_text=True).splitlines() if line.startswith("const CONFIG = "))
    return json.loads(line.removeprefix("const CONFIG = ").removesuffix(";"))


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", body[16:24])


@pytest.mark.parametrize("lang", LANGS)
def test_manifest_in_every_language(client, lang):
    response = client.get(f"/manifest-{lang}.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["lang"] == lang
    assert manifest["dir"] == ("rtl" if i18n.LANGUAGES[lang].rtl else "ltr")
    assert manifest["id"] == "/" and manifest["scope"] == "/" and manifest["display"] == "standalone"
    assert manifest["start_url"] == f"/?lang={lang}"
    assert manifest["name"] and manifest["short_name"] and manifest["description"]
    assert manifest["theme_color"] == "#0b4f5c" and manifest["background_color"]
    found = set()
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == icon["type"], icon
        if icon["type"] == "image/png":
            width, height = png_size(image.get_data())
            assert icon["sizes"] == f"{width}x{height}" and width == height
            found.add((width, icon["purpose"]))
    # Chromium's installability needs a 192 and a 512 pixel icon; round launchers need maskable ones.
    assert found == {(192, "any"), (512, "any"), (192, "maskable"), (512, "maskable")}


def test_manifest_is_translated(client):
    names = {client.get(f"/manifest-{lang}.webmanifest").get_json()["name"] for lang in ("nb", "ar")}
    assert len(names) == 2


def test_unknown_language_is_a_404(client):
    for path in ("/sw-xx.js", "/manifest-xx.webmanifest", "/offline/xx", "/sw-.js"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("lang", ["nb", "ur"])
def test_service_worker_keeps_every_public_page_and_nothing_personal(client, lang):
    response = client.get(f"/sw-{lang}.js")
    assert response.mimetype == "text/javascript"
    # Browsers ask for the worker again on navigations: no cache may answer for it.
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Service-Worker-Allowed" not in response.headers  # served from the root: its scope is the site
    again = client.get(f"/sw-{lang}.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
    config = worker_config(client, lang)
    urls = [entry["url"] for entry in config["precache"]]
    expected_pages = ["/", "/guide"] + [f"/guide/{slug}" for slug in SLUGS] + [f"/offline/{lang}",
                                                                                f"/manifest-{lang}.webmanifest"]
    assert [u for u in urls if not u.startswith("/static/")] == expected_pages
    assert not [u for u in urls if u.startswith(NEVER_KEPT)]
    assert config["offline"] == f"/offline/{lang}" and config["lang"] == lang
    for entry in config["precache"]:
        src = entry.get("src", entry["url"])
        if "src" in entry:
            assert src == f"{entry['url']}?lang={lang}"
        kept = client.get(src)
        assert kept.status_code == 200, src
        if kept.mimetype == "text/html":
            assert BeautifulSoup(kept.get_data(as_text=True), "html.parser").html["lang"] == lang
    # Everything the kept pages load is kept too.
    home = BeautifulSoup(client.get(f"/?lang={lang}").get_data(as_text=True), "html.parser")
    assets = {tag.get("href") or tag.get("src") for tag in home.select("link[href^='/static/'], script[src]")}
    assert assets <= set(urls)
    # Paths the worker must leave alone or never store.
    assert set(NEVER_KEPT) <= set(config["private"]) | set(config["untouched"])
    assert {"/api/", "/staff"} <= set(config["untouched"])


def test_version_follows_what_is_kept(app, client, monkeypatch):
    first = worker_config(client, "nb")["version"]
    # Every process must compute the same version, or browsers would swap workers back and forth.
    app.extensions.pop("patientapp.pwa", None)
    assert worker_config(client, "nb")["version"] == first
    assert worker_config(client, "en")["version"] != first
    library = app.extensions["patientapp.guides"]
    old = library.get("echo", "nb")
    monkeypatch.setitem(library.guides, ("nb", "echo"),
                        dataclasses.replace(old, html=old.html + Markup("<p>Endret.</p>")))
    app.extensions.pop("patientapp.pwa", None)  # what a restart after a deploy does
    try:
        changed = worker_config(client, "nb")["version"]
        assert changed != first
        # A guide in another language does not change this language's worker.
        monkeypatch.setitem(library.guides, ("nb", "echo"), old)
        app.extensions.pop("patientapp.pwa", None)
        assert worker_config(client, "nb")["version"] == first
    finally:
        app.extensions.pop("patientapp.pwa", None)


def test_rendering_for_the_version_sets_no_cookie(client):
    response = client.get("/sw-ar.js")
    assert not response.headers.getlist("Set-Cookie")
    assert client.get("/guide").headers.get("Vary")  # the page itself is unaffected
    assert BeautifulSoup(client.get("/guide", headers={"Accept-Language": "pl"}).get_data(as_text=True),
                         "html.parser").html["lang"] == "pl"


@pytest.mark.parametrize("lang", LANGS)
def test_generic_offline_page(client, lang):
    response = client.get(f"/offline/{lang}")
    assert response.status_code == 200
    soup = assert_page_ok(response, lang)
    assert response.headers["Cache-Control"] == "no-store"
    assert pwa.CONTACT_UNTIL_HEADER not in response.headers
    assert soup.select_one("#video-fails-heading")
    assert [a["href"] for a in soup.select("a[href^='tel:']")] == ["tel:113"]
    # Offline, only this language is kept: no links to the others.
    assert not soup.select("nav.pa-languages")


def test_offline_page_with_an_invitation_shows_the_clinic_number_until_the_link_ends(app, client, invitation_factory):
    invitation, token = invitation_factory.create(language="ur", phone="+4722334455")
    client.get(f"/i/{token}")
    response = client.get("/offline/ur")
    soup = assert_page_ok(response, "ur")
    assert response.headers["Cache-Control"] == "no-store"
    assert soup.select_one("main a[href='tel:+4722334455']").get_text(strip=True) == "+47 22 33 44 55"
    until = int(response.headers[pwa.CONTACT_UNTIL_HEADER])
    ends = invitation.ends_at + timedelta(minutes=app.config["LINK_GRACE_MINUTES"])
    ends = int((ends if ends.tzinfo else ends.replace(tzinfo=UTC)).timestamp())
    assert until % 3600 == 0 and ends <= until < ends + 3600
    body = response.get_data(as_text=True)
    # Nothing about the patient, not even the clinic's name: only its number.
    assert token not in body and invitation.ref not in body and "AB" not in soup.select_one("main").get_text()
    assert "Nordby" not in body


def test_offline_page_forgets_the_clinic_when_the_link_stops_working(client, invitation_factory, db):
    from patientapp.models import Invitation

    invitation, token = invitation_factory.create()
    client.get(f"/i/{token}")
    assert pwa.CONTACT_UNTIL_HEADER in client.get("/offline/nb").headers
    db.get(Invitation, invitation.id).state = "cancelled"
    db.commit()
    response = client.get("/offline/nb")
    assert pwa.CONTACT_UNTIL_HEADER not in response.headers
    assert "tel:+47" not in response.get_data(as_text=True)


def test_patient_and_public_pages_register_the_worker_staff_pages_do_not(app, invitation_factory):
    client = app.test_client()

    def registration(path, **kwargs):
        soup = BeautifulSoup(client.get(path, **kwargs).get_data(as_text=True), "html.parser")
        script = soup.select_one("script[data-pa-sw]")
        manifest = soup.select_one("link[rel=manifest]")
        return (script and script["data-pa-sw"], manifest and manifest["href"],
                bool(script and script.has_attr("data-pa-clinic-contact")))

    assert registration("/guide/echo?lang=ar") == ("/sw-ar.js", "/manifest-ar.webmanifest", False)
    assert registration("/?lang=nb") == ("/sw-nb.js", "/manifest-nb.webmanifest", False)
    assert registration("/check?lang=pl")[0] == "/sw-pl.js"
    # A link page keeps the token in its address: no worker, no manifest (their requests' Referer).
    assert registration("/i/not-a-token") == (None, None, False)
    assert registration("/staff/login") == (None, None, False)
    _, token = invitation_factory.create(language="so")
    client = app.test_client()  # no language cookie from the pages above
    client.get(f"/i/{token}")
    # The patient's own page asks the worker for the offline page with the clinic's number.
    assert registration("/visit") == ("/sw-so.js", "/manifest-so.webmanifest", True)


@pytest.mark.parametrize("path", ["/sw-nb.js", "/manifest-ar.webmanifest", "/offline/ur"])
def test_security_headers_on_the_new_routes(client, path):
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "worker-src 'self'" in policy and "manifest-src 'self'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "Access-Control-Allow-Origin" not in headers
