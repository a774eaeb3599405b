"""Embedding on a clinic's website through Flask's client: per-clinic framing and no cookies on
/embed/ (R28, R36, R40), the Website page's origins and sections (R47, R49), hostile input refused."""
import json
import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, update

from patientapp import clinic_websites, i18n
from patientapp.guides import SLUGS
from patientapp.models import AuditEvent, Clinic, EmbedOrigin, EmbedSection, utcnow
from tests.conftest import staff_session
from tests.pages import assert_page_ok, csp


def fresh(db):
    db.rollback()
    db.expire_all()


@pytest.fixture
def clinics(db):
    """Two clinics, each with its own registered website."""
    a = Clinic(slug="a", display_name="Nordby helsesenter", phone="+4712345678", time_zone="Europe/Oslo",
               room_settings={})
    b = Clinic(slug="b", display_name="Sørby legekontor", phone="+4787654321", time_zone="Europe/Oslo",
               room_settings={})
    db.add_all([a, b])
    db.flush()
    db.add_all([EmbedOrigin(clinic_id=a.id, origin="https://www.nordby.no", created_at=utcnow()),
                EmbedOrigin(clinic_id=a.id, origin="https://xn--blbr-roah.no:8443", created_at=utcnow()),
                EmbedOrigin(clinic_id=b.id, origin="https://sorby.example", created_at=utcnow())])
    db.commit()
    return a, b


class StaffClient:
    def __init__(self, app, token):
        self.client = app.test_client()
        self.client.set_cookie("__Host-staff", token)
        html = self.client.get("/staff/").get_data(as_text=True)
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def form(self, url, data):
        return self.client.post(url, data={**data, "csrf_token": self.csrf})


@pytest.fixture
def sign_in(app, db, clinics):
    def make(role="admin", clinic=None):
        _person, token = staff_session(db, (clinic or clinics[0]).id, role, language="en")
        return StaffClient(app, token)
    return make


def _errors(response):
    return [e.get_text(" ", strip=True)
            for e in BeautifulSoup(response.get_data(as_text=True), "html.parser").select(".pa-error")]


# --- framing, headers and cookies (R28, R36) --------------------------------------------------------

EMBED_PAGES = ["/embed/{c}/nb/", "/embed/{c}/ar/guide/echo", "/embed/{c}/en/check"]


@pytest.mark.parametrize("path", EMBED_PAGES)
def test_each_clinic_is_framed_only_by_its_own_websites(client, clinics, path):
    response = client.get(path.format(c="a"), base_url="https://localhost")
    assert response.status_code == 200
    assert csp(response)["frame-ancestors"] == ["'self'", "https://www.nordby.no", "https://xn--blbr-roah.no:8443"]
    # XFO cannot list origins, and a DENY would block the clinic's frame.
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Permissions-Policy"] == ("camera=(self), microphone=(self), geolocation=(), "
                                                      "payment=(), usb=()")
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Access-Control-Allow-Origin" not in response.headers
    other = client.get(path.format(c="b"))
    assert csp(other)["frame-ancestors"] == ["'self'", "https://sorby.example"]
    assert "nordby" not in other.headers["Content-Security-Policy"]


def test_a_clinic_without_websites_is_framed_only_by_the_app_itself(client, db, clinics):
    db.execute(EmbedOrigin.__table__.delete())
    db.commit()
    assert csp(client.get("/embed/a/nb/"))["frame-ancestors"] == ["'self'"]


def test_everything_else_still_refuses_framing(client, clinics):
    for path in ("/", "/guide/echo", "/check", "/staff/login", "/embed/nobody/nb/", "/embed/a/xx/"):
        response = client.get(path)
        if response.status_code == 404 and path.startswith("/embed/a/"):
            # A known clinic's own 404 may sit in its frame; it shows nothing but the error.
            assert "X-Frame-Options" not in response.headers
            continue
        assert csp(response)["frame-ancestors"] == ["'none'"], path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_unknown_clinics_languages_and_guides_are_404(client, clinics):
    for path in ("/embed/nobody/", "/embed/nobody/nb/", "/embed/a/xx/", "/embed/a/nb/guide/nope",
                 "/embed/a/nb/guide/..%2F..%2Fstaff", "/embed/a%00/nb/", "/embed/a/nb/check/x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Traceback" not in response.get_data(as_text=True)
        assert "Set-Cookie" not in response.headers, path


def test_embed_pages_set_no_cookie_even_for_a_patient_with_a_session(client, clinics, invitation_factory):
    _, token = invitation_factory.create(language="ar")
    opened = client.get(f"/i/{token}")
    assert "__Host-session" in opened.headers["Set-Cookie"]  # the patient's (permanent) session exists
    for path in [*(p.format(c="a") for p in EMBED_PAGES), "/embed/a/nb/?lang=pl", "/embed/a/?lang=ur&page=check",
                 "/embed/a/", "/embed/embed.js", "/embed/a/nb/guide/nope", "/embed/nobody/nb/?lang=en"]:
        response = client.get(path)
        assert "Set-Cookie" not in response.headers, (path, response.headers.get("Set-Cookie"))
    # The embed ignores the patient's session: the language comes from the path, not the invitation.
    assert 'lang="nb"' in client.get("/embed/a/nb/").get_data(as_text=True)


@pytest.mark.parametrize("query, headers, location", [
    ("", {"Accept-Language": "pl-PL,pl;q=0.9"}, "/embed/a/pl/"),
    ("?lang=ur", {"Accept-Language": "pl"}, "/embed/a/ur/"),
    ("?lang=xx", {}, "/embed/a/nb/"),
    ("?page=check&lang=ar", {}, "/embed/a/ar/check"),
    ("?page=blocked&lang=so", {}, "/embed/a/so/guide/blocked"),
    ("?page=../../staff&lang=en", {}, "/embed/a/en/"),
    ("?page=https://evil.example&lang=en", {}, "/embed/a/en/"),
])
def test_the_snippets_address_picks_language_and_page(client, clinics, query, headers, location):
    response = client.get(f"/embed/a/{query}", headers=headers)
    assert response.status_code == 303 and response.headers["Location"] == location
    assert "X-Frame-Options" not in response.headers


def test_the_script_is_served_for_other_sites_and_revalidated(client):
    response = client.get("/embed/embed.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert "event.origin !== app" in body and "event.source !== frame.contentWindow" in body
    assert "camera; microphone" in body


# --- the embedded pages ----------------------------------------------------------------------------

def _internal_links(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [a["href"] for a in soup.find_all("a", href=True)
            if not a["href"].startswith(("tel:", "mailto:", "https:", "#")) and a.get("target") != "_blank"]


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_embedded_pages_in_every_language_keep_the_invariants_and_their_frame(client, clinics, lang):
    for path in (f"/embed/a/{lang}/", f"/embed/a/{lang}/guide/blocked", f"/embed/a/{lang}/check"):
        response = client.get(path)
        soup = assert_page_ok(response, lang)
        config = json.loads(soup.select_one("#pa-embed-config").get_text())
        # The app's own origin comes last (the workspace's preview); a live server's port may be in it.
        own = client.application.config["PUBLIC_BASE_URL"]
        assert config["origins"] == ["https://www.nordby.no", "https://xn--blbr-roah.no:8443", own]
        for href in _internal_links(response.get_data(as_text=True)):
            # Relative guide links ("no-sound") resolve inside the embed; nothing leads out of it.
            resolved = href if href.startswith("/") else urlsplit(path).path.rsplit("/", 1)[0] + "/" + href
            assert resolved.startswith("/embed/a/"), (path, href)
        switcher = [a["href"] for a in soup.select(".pa-languages a")]
        assert len(switcher) == len(i18n.LANGUAGES) - 1
        assert all(href.startswith("/embed/a/") and "?lang" not in href for href in switcher), switcher


def test_every_guide_is_embedded(client, clinics):
    for slug in SLUGS:
        assert client.get(f"/embed/a/en/guide/{slug}").status_code == 200


def test_the_embedded_check_links_embedded_guides_and_offers_a_new_window(client, clinics):
    html = client.get("/embed/a/ar/check").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    config = json.loads(soup.select_one("#pa-check-config").get_text())
    assert config["summaryUrl"] is None and config["newWindowUrl"] == "/check?lang=ar"
    assert all(g["url"].startswith("/embed/a/ar/guide/") for g in config["guides"].values())
    assert config["blockedGuide"]["url"] == "/embed/a/ar/guide/blocked"
    assert config["messages"]["camera.framed"] and config["messages"]["microphone.framed"]
    notice = soup.select_one(".pa-js-new-window")
    assert notice.has_attr("hidden")
    link = notice.find("a")
    assert link["href"] == "/check?lang=ar" and link["target"] == "_blank" and link["rel"] == ["noopener"]
    assert not soup.select_one('meta[name="csrf-token"]')
    # The top-level check is unchanged: no new-window offer, public guide links.
    public = BeautifulSoup(client.get("/check?lang=ar").get_data(as_text=True), "html.parser")
    assert not public.select_one(".pa-js-new-window")
    assert (json.loads(public.select_one("#pa-check-config").get_text())["blockedGuide"]["url"]
            == "/guide/blocked?from=check")


def test_the_clinics_section_is_shown_cleaned_again_and_falls_back_to_norwegian(client, db, clinics):
    a, _ = clinics
    clinic_websites.save_section(db, a.id, "nb", "**Telefontid** mandag–fredag 08–15\n\n- Video: onsdager 13–15", None)
    db.commit()
    html = client.get("/embed/a/nb/").get_data(as_text=True)
    assert "<strong>Telefontid</strong>" in html and "Video: onsdager 13–15" in html
    # No Arabic text yet: the Norwegian one, marked as Norwegian inside the Arabic page.
    soup = BeautifulSoup(client.get("/embed/a/ar/guide/echo").get_data(as_text=True), "html.parser")
    section = soup.select_one(".pa-clinic-section .pa-prose")
    assert section["lang"] == "nb" and section["dir"] == "ltr" and "Telefontid" in section.get_text()
    # Cleaned again when shown: a row changed behind the app's back still cannot run a script (R47).
    db.execute(update(EmbedSection).values(html='<p onclick="x()">ok</p><script>alert(1)</script>'
                                                '<img src=x onerror=y>'))
    db.commit()
    html = client.get("/embed/a/nb/").get_data(as_text=True)
    assert "<script>alert" not in html and "onclick" not in html and "onerror" not in html and "<img" not in html
    # The other clinic shows none of it.
    assert "Telefontid" not in client.get("/embed/b/nb/").get_data(as_text=True)


# --- the Website page (administrators) ------------------------------------------------------------

def test_only_administrators_see_the_website_page(sign_in, client):
    assert client.get("/staff/website").status_code == 302
    staff = sign_in("staff")
    assert staff.get("/staff/website").status_code == 403
    assert staff.form("/staff/website", {"origin": "https://x.no"}).status_code == 403
    assert staff.form("/staff/website/sections/nb", {"text": "x"}).status_code == 403
    admin = sign_in()
    response = admin.get("/staff/website")
    soup = assert_page_ok(response, "en")
    assert 'href="/staff/website"' in admin.get("/staff/").get_data(as_text=True)
    # The preview frames the real embed: this page may frame itself, but nobody may frame it.
    policy = csp(response)
    assert policy["frame-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert response.headers["Cache-Control"] == "no-store"
    preview = soup.select_one(".pa-embed-preview script")
    assert preview["src"] == "/embed/embed.js" and preview["data-clinic"] == "a"
    snippet = soup.select_one("#snippet").get_text()
    base = admin.client.application.config["PUBLIC_BASE_URL"]  # a live server's port may be in it
    assert snippet.startswith(f'<script src="{base}/embed/embed.js" data-clinic="a" data-page="guides"')
    assert "https://www.nordby.no" in response.get_data(as_text=True)
    assert "https://blåbær.no:8443" in response.get_data(as_text=True)


def test_the_snippet_follows_the_chosen_page_and_language(sign_in):
    soup = BeautifulSoup(sign_in().get("/staff/website?page=check&preview_lang=ar").get_data(as_text=True),
                         "html.parser")
    snippet = soup.select_one("#snippet").get_text()
    assert 'data-page="check" data-lang="ar"' in snippet and 'data-title="افحص أجهزتك"' in snippet
    weird = BeautifulSoup(sign_in().get('/staff/website?page="><script>&preview_lang=zz').get_data(as_text=True),
                          "html.parser")
    assert 'data-page="guides" data-lang="en"' in weird.select_one("#snippet").get_text()


def test_adding_and_removing_a_website_is_audited(sign_in, db, clinics, app):
    admin = sign_in()
    response = admin.form("/staff/website", {"origin": " HTTPS://Legekontor.Example.no/ "})
    assert response.status_code == 303
    fresh(db)
    row = db.scalar(select(EmbedOrigin).where(EmbedOrigin.origin == "https://legekontor.example.no"))
    assert row is not None and row.clinic_id == clinics[0].id
    assert "https://legekontor.example.no" in admin.get("/embed/a/nb/").headers["Content-Security-Policy"]
    row_id = row.id
    assert admin.form(f"/staff/website/origins/{row_id}/delete", {}).status_code == 303
    fresh(db)
    assert db.get(EmbedOrigin, row_id) is None
    events = [(e.action, e.result, e.detail, e.clinic_id) for e in
              db.scalars(select(AuditEvent).where(AuditEvent.action.like("embed-%")).order_by(AuditEvent.id))]
    assert events == [("embed-origin-add", "ok", "https://legekontor.example.no", clinics[0].id),
                      ("embed-origin-remove", "ok", "https://legekontor.example.no", clinics[0].id)]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "embed-origin-add"))
    assert event.staff_id is not None and event.request_id and event.at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("origin, message", [
    ("https://*.nordby.no", "Wildcards"),
    ("*", "Wildcards"),
    ("http://www.nordby.no", "https://"),
    ("https://www.nordby.no/timebestilling", "without a page"),
    ("https://admin:secret@www.nordby.no", "user name or password"),
    ("https://intranet", "not a valid website name"),
    ("https://xn--zz.no", "international domain name"),
    ("https://www.nordby.no", "already registered"),
    ("https://WWW.NORDBY.NO:443/", "already registered"),
    ("", "Write the website"),
    ("https://" + "a" * 250 + ".no", "too long"),
    ("https://a.no https://b.no", "not a website address"),
    ("http://localhost:5101", "only in development"),
])
def test_bad_websites_are_refused_with_a_message_and_nothing_changes(sign_in, db, clinics, app, origin, message):
    app.config["ALLOW_LOCAL_ROOMS"] = False
    admin = sign_in()
    before = sorted(o.origin for o in db.scalars(select(EmbedOrigin)))
    response = admin.form("/staff/website", {"origin": origin})
    assert response.status_code == 422
    assert any(message in error for error in _errors(response)), _errors(response)
    fresh(db)
    assert sorted(o.origin for o in db.scalars(select(EmbedOrigin))) == before


def test_refusals_are_audited_by_reason_and_messages_are_translated(sign_in, db, clinics):
    admin = sign_in()
    admin.form("/staff/website", {"origin": "https://*.evil.example"})
    fresh(db)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "embed-origin-add"))
    assert (event.result, event.detail) == ("refused", "wildcard")
    # Messages go through gettext: this one (shared with the video rooms) is already translated.
    nb = admin.client.post("/staff/website?lang=nb", data={"origin": "http://x.no", "csrf_token": admin.csrf})
    assert nb.status_code == 422 and _errors(nb) and "https://" in _errors(nb)[0]
    assert _errors(nb)[0] != "The address must start with https://."


def test_local_websites_only_in_development(sign_in, db, app):
    admin = sign_in()
    app.config["ALLOW_LOCAL_ROOMS"] = True
    assert admin.form("/staff/website", {"origin": "http://localhost:5101"}).status_code == 303
    fresh(db)
    assert db.scalar(select(EmbedOrigin).where(EmbedOrigin.origin == "http://localhost:5101"))


def test_at_most_ten_websites(sign_in, db, clinics):
    admin = sign_in()
    for n in range(clinic_websites.MAX_ORIGINS - 2):
        assert admin.form("/staff/website", {"origin": f"https://site{n}.example.no"}).status_code == 303
    response = admin.form("/staff/website", {"origin": "https://one-too-many.example.no"})
    assert response.status_code == 422 and "At most 10 websites" in _errors(response)[0]
    fresh(db)
    assert len(clinic_websites.origin_list(db, clinics[0].id)) == clinic_websites.MAX_ORIGINS


def test_origin_changes_need_csrf_and_stay_in_the_clinic(sign_in, db, clinics):
    admin = sign_in()
    assert admin.client.post("/staff/website", data={"origin": "https://x.no"}).status_code == 400
    other = db.scalar(select(EmbedOrigin).where(EmbedOrigin.clinic_id == clinics[1].id))
    assert admin.form(f"/staff/website/origins/{other.id}/delete", {}).status_code == 404
    assert admin.form("/staff/website/origins/999999/delete", {}).status_code == 404
    assert admin.client.post(f"/staff/website/origins/{other.id}/delete").status_code == 400
    assert admin.get(f"/staff/website/origins/{other.id}/delete").status_code == 405
    fresh(db)
    assert db.get(EmbedOrigin, other.id) is not None


def test_sections_are_cleaned_on_save_audited_and_removable(sign_in, db, clinics, client):
    admin = sign_in()
    page = admin.get("/staff/website/sections/ar")
    assert_page_ok(page, "en")
    textarea = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("textarea")
    assert textarea["lang"] == "ar" and textarea["dir"] == "rtl"
    text = "**مواعيد الهاتف** 08–15\n\n<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    assert admin.form("/staff/website/sections/ar", {"text": text}).status_code == 303
    fresh(db)
    row = db.scalar(select(EmbedSection).where(EmbedSection.language == "ar"))
    assert row.markdown == text.strip()
    assert "<strong>مواعيد الهاتف</strong>" in row.html
    assert "<script" not in row.html and 'href="javascript' not in row.html and "<img" not in row.html
    assert "<strong>مواعيد الهاتف</strong>" in client.get("/embed/a/ar/").get_data(as_text=True)
    # The form shows the Markdown as typed, escaped.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in admin.get("/staff/website/sections/ar").get_data(as_text=True)
    assert admin.form("/staff/website/sections/ar", {"text": "   "}).status_code == 303
    fresh(db)
    assert db.scalar(select(EmbedSection).where(EmbedSection.language == "ar")) is None
    events = [(e.action, e.detail) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert events == [("embed-section-save", "lang=ar"), ("embed-section-remove", "lang=ar")]


def test_a_refused_section_leaves_the_saved_one_intact(sign_in, db, clinics):
    admin = sign_in()
    assert admin.form("/staff/website/sections/nb", {"text": "Telefontid 08–15"}).status_code == 303
    for text, message in (("x" * (clinic_websites.MAX_SECTION_CHARS + 1), "too long"), ("a\x00b", "cannot be saved")):
        response = admin.form("/staff/website/sections/nb", {"text": text})
        assert response.status_code == 422, text[:10]
        assert any(message in e for e in _errors(response)), _errors(response)
    assert admin.get("/staff/website/sections/xx").status_code == 404
    assert admin.client.post("/staff/website/sections/nb", data={"text": "x"}).status_code == 400
    fresh(db)
    assert db.scalar(select(EmbedSection)).markdown == "Telefontid 08–15"
    assert [e.action for e in db.scalars(select(AuditEvent))] == ["embed-section-save"]
