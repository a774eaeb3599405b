"""Routes of the installable app: the service worker, the manifest and the offline page, per language."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext

from .. import appointment, i18n, patient_session, pwa

bp = Blueprint("pwa", __name__)


def _language(code: str) -> i18n.Language:
    if code not in i18n.LANGUAGES:
        abort(404)
    return i18n.LANGUAGES[code]


def _static_url():
    """The templates' own static_url, whatever scheme of fingerprinted names the app uses."""
    context: dict = {}
    current_app.update_template_context(context)
    return context["static_url"]


@bp.get("/sw-<lang>.js")
def service_worker(lang: str):
    """The service worker for one language, served from the root so that its scope is the whole site."""
    language = _language(lang)
    config = _worker_config(language.code)
    response = Response(pwa.worker_script(config), mimetype="text/javascript")
    # Browsers check the worker for updates on navigations: always revalidate, and answer an
    # unchanged version with an empty 304.
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:16])
    return response.make_conditional(request)


def _worker_config(lang: str) -> dict:
    """What the worker keeps, and its version: computed once per language (again in debug mode)."""
    memo = current_app.extensions.setdefault("patientapp.pwa", {})
    if lang not in memo or current_app.debug:
        static_url = _static_url()
        pages = [{"url": path, "src": f"{path}?lang={lang}"}
                 for path in pwa.page_paths(url_for("public.home"), url_for("public.guide_index"),
                                            lambda slug: url_for("public.guide", slug=slug))]
        pages += [{"url": url_for("pwa.offline", lang=lang)}, {"url": url_for("pwa.manifest", lang=lang)}]
        static = [{"url": static_url(name)} for name in pwa.STATIC_FILES]
        # Pages are hashed as served; static files are already named by their content.
        rendered = [(page["url"], _render(page.get("src", page["url"]))) for page in pages]
        memo[lang] = {
            "lang": lang,
            "version": pwa.version(rendered + [(item["url"], b"") for item in static]),
            "precache": pages + static,
            "offline": url_for("pwa.offline", lang=lang),
            "private": list(pwa.PRIVATE_PREFIXES),
            "untouched": list(pwa.UNTOUCHED_PREFIXES),
            "contactHeader": pwa.CONTACT_UNTIL_HEADER,
        }
    return memo[lang]


def _render(path: str) -> bytes:
    """A kept page's body as a cookie-less visitor gets it, rendered in-process for the version.

    A fresh application context keeps this rendering's `g` (and its language) apart from the
    request being answered; no nonce is set, so the body is the same on every run.
    """
    app = current_app._get_current_object()
    with app.app_context(), app.test_request_context(path, base_url=app.config["PUBLIC_BASE_URL"]):
        return make_response(app.dispatch_request()).get_data()


@bp.get("/manifest-<lang>.webmanifest")
def manifest(lang: str):
    """The web app manifest in one language (name, direction, colours, icons)."""
    language = _language(lang)
    static_url = _static_url()
    with i18n.force_language(language.code):
        body = pwa.manifest(
            language,
            name=_("Video consultation"),
            short_name=pgettext("short app name under the home-screen icon", "Video visit"),
            description=_("Get ready for your video consultation, and get help if something does not work."),
            start_url=url_for("public.home", lang=language.code),
            icons={name: static_url(name) for name in pwa.STATIC_FILES if name.startswith("icons/")},
        )
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/offline/<lang>")
def offline(lang: str):
    """What the service worker shows when a page cannot be loaded: generic, or with the clinic's number.

    The number is included only for a browser whose invitation works, and the answer says until
    when it may be kept (see pwa/__init__.py for why this much and no more).
    """
    language = _language(lang)
    invitation = patient_session.current_invitation()
    phone = appointment.phone(invitation.clinic.phone) if invitation else None
    with i18n.force_language(language.code):
        response = make_response(render_template("pwa/offline.html", phone=phone))
    if invitation is not None:
        link_ends = invitation.ends_at + timedelta(minutes=current_app.config["LINK_GRACE_MINUTES"])
        response.headers[pwa.CONTACT_UNTIL_HEADER] = str(pwa.contact_until(link_ends))
    return response
