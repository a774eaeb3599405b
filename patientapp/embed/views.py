"""Embedded pages: framable only by the clinic's registered origins, no cookies, language in the path."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import clinic_websites, i18n, links
from ..appointment import Contact, phone
from ..check.context import page_context
from ..db import get_session
from ..guides import SLUGS
from ..models import Clinic
from . import bp

SCRIPT = "js/embed/embed.js"
CLINIC_SLUG = re.compile(r"[A-Za-z0-9_-]{1,40}")


def app_origin() -> str:
    """This app's origin, from configuration (never from the Host header, R9)."""
    parts = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    return f"{parts.scheme}://{parts.netloc}"


@bp.before_request
def _clinic_frame() -> None:
    """Load the clinic and name who may frame its pages; an unknown clinic is a plain 404 ('none')."""
    slug = (request.view_args or {}).get("clinic")
    if slug is None:
        return
    if not CLINIC_SLUG.fullmatch(slug):
        # Not a slug at all (PostgreSQL refuses a NUL in a query): no need to ask the database.
        abort(404)
    clinic = get_session().scalar(select(Clinic).where(Clinic.slug == slug))
    if clinic is None:
        abort(404)
    g.embed_clinic = clinic
    g.embed_origins = clinic_websites.origin_list(get_session(), clinic.id)
    # security.py turns this into frame-ancestors and leaves out X-Frame-Options (R36).
    g.embed_frame_ancestors = clinic_websites.frame_ancestors(g.embed_origins)
    # A site that isolates itself (COEP) may still frame us.
    g.corp = "cross-origin"


@bp.after_request
def _no_cookies(response):
    """Nothing under /embed/ remembers a language in a cookie: a ?lang= is only a redirect here (R28)."""
    g.pop("remember_lang", None)
    return response


@bp.get("/embed.js")
def script():
    """The snippet's script: a stable address (clinics paste it once), revalidated, loadable cross-origin."""
    g.corp = "cross-origin"
    return current_app.view_functions["static"](filename=SCRIPT)


def _language(lang: str) -> str:
    if lang not in i18n.LANGUAGES:
        abort(404)
    return lang


def _context(lang: str) -> dict:
    clinic = g.embed_clinic
    endpoint, args = request.endpoint, dict(request.view_args or {})
    return {
        "clinic": clinic,
        "clinic_phone": phone(clinic.phone),
        # The language switcher keeps the visitor on this page, in this path: no cookie is needed.
        "language_url": lambda code: url_for(endpoint, **{**args, "lang": code}),
        "home_url": url_for("embed.guides", clinic=clinic.slug, lang=lang),
        # Height messages go to these parents only: the clinic's origins, and the workspace's preview.
        "embed_config": {"origins": [*g.embed_origins, app_origin()], "type": "patientapp:height"},
        "section": clinic_websites.section_for(get_session(), clinic.id, lang),
    }


@bp.get("/<clinic>/")
def start(clinic: str):
    """Where embed.js points: chooses the language (?lang=, else the browser's) and the page."""
    lang = (i18n.normalise(request.args.get("lang")) or i18n.from_accept_language(request.accept_languages)
            or i18n.DEFAULT)
    page = request.args.get("page", "guides")
    if page == "check":
        target = url_for("embed.check", clinic=clinic, lang=lang)
    elif page in SLUGS:
        target = url_for("embed.guide", clinic=clinic, lang=lang, slug=page)
    else:
        target = url_for("embed.guides", clinic=clinic, lang=lang)
    return redirect(target, code=303)


@bp.get("/<clinic>/<lang>/")
def guides(clinic: str, lang: str):
    """Every guide, with the clinic's own section first."""
    lang = _language(lang)
    library = current_app.extensions["patientapp.guides"]
    return render_template("embed/guide-index.html", guides=library.group("guide", lang),
                           help_topics=library.group("help", lang), **_context(lang))


@bp.get("/<clinic>/<lang>/guide/<slug>")
def guide(clinic: str, lang: str, slug: str):
    """One guide; the guides link each other by bare slug, so links stay in this path."""
    lang = _language(lang)
    if slug not in SLUGS:
        abort(404)
    library = current_app.extensions["patientapp.guides"]
    return render_template("embed/guide.html", guide=library.get(slug, lang), **_context(lang))


@bp.get("/<clinic>/<lang>/sheet")
def sheet(clinic: str, lang: str):
    """"Before your video consultation" with the clinic's name and number, to print and hand out."""
    lang = _language(lang)
    contact = Contact(g.embed_clinic.display_name, phone(g.embed_clinic.phone))
    return render_template("public/sheet.html", page_layout="embed/_layout.html", contact=contact,
                           address=links.short_address(current_app.config["PUBLIC_BASE_URL"]), **_context(lang))


@bp.get("/<clinic>/<lang>/check")
def check(clinic: str, lang: str):
    """The equipment check inside the clinic's page; where the frame may not use the camera it offers
    the full check in a new window (R40)."""
    lang = _language(lang)
    context = page_context(
        invitation=None,
        guide_url=lambda slug: url_for("embed.guide", clinic=clinic, lang=lang, slug=slug),
        new_window_url=url_for("check.public_check", lang=lang))
    return render_template("check/check.html", page_layout="embed/_layout.html", **context, **_context(lang))
