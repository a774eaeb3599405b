"""Pages anyone may open: the start page, the guides, health checks and CSP reports."""
from __future__ import annotations

import logging

from flask import abort, current_app, g, jsonify, render_template, request

from .. import appointment, csrf, i18n, links, patient_session, readiness
from ..appointment import Contact
from ..guides import SLUGS
from ..models import utcnow
from . import bp

log = logging.getLogger("patientapp")


def _short_address() -> str:
    return links.short_address(current_app.config["PUBLIC_BASE_URL"])


def _library():
    return current_app.extensions["patientapp.guides"]


def _visit() -> appointment.Landing | None:
    """The appointment of a patient whose link this browser opened: the guides lead back to it and
    show the clinic's number, rather than ending where "tap the link in your SMS" begins."""
    link = patient_session.current_link()
    return link.landing(i18n.current().format_locale, utcnow()) if link else None


@bp.get("/")
def home():
    """What this service is, for someone who arrives without a link."""
    lang = i18n.current().code
    return render_template("public/home.html", guides=_library().group("guide", lang),
                           help_topics=_library().group("help", lang), visit=_visit())


@bp.get("/guide")
def guide_index():
    """Every guide and troubleshooting topic in the visitor's language."""
    lang = i18n.current().code
    return render_template("public/guide-index.html", guides=_library().group("guide", lang),
                           help_topics=_library().group("help", lang), visit=_visit())


@bp.get("/guide/<slug>")
def guide(slug: str):
    """One guide."""
    if slug not in SLUGS:
        abort(404)
    lang = i18n.current().code
    visit, from_check, shown = _visit(), request.args.get("from") == "check", _library().get(slug, lang)
    # The page follows from the guide (its text included), the language, the path, the visit and
    # where it was opened from.
    return current_app.extensions["patientapp.pages"].render(
        "public/guide.html", (shown, visit, from_check), guide=shown,
        help_topics=_library().group("help", lang), visit=visit, from_check=from_check)


@bp.get("/sheet")
def sheet():
    """"Before your video consultation" on one A4 page, to print; with the clinic's name and number
    when this browser holds a patient's visit."""
    visit = _visit()
    contact = Contact(visit.clinic_name, visit.phone) if visit else None
    return render_template("public/sheet.html", contact=contact, address=_short_address(), page_layout=None)


@bp.get("/healthz")
def healthz():
    """The process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Database, schema and rate-limit storage ready. Says nothing else: no versions, no host names (R63)."""
    found = readiness.problems()
    if found:
        log.warning("readiness check: %s", "; ".join(found))
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


@bp.post("/csp-report")
@csrf.exempt
def csp_report():
    """Browsers report CSP violations here; we log only which directive, never URLs."""
    payload = request.get_json(silent=True, force=True)
    reports = payload if isinstance(payload, list) else [payload]
    for report in reports:
        body = report.get("body", report.get("csp-report", {})) if isinstance(report, dict) else {}
        directive = body.get("effectiveDirective") or body.get("violated-directive") if isinstance(body, dict) else None
        log.warning("csp violation: %s", str(directive)[:60])
    return "", 204


def dev_video_room():
    """Stands in for Join or Whereby in development and tests (registered only with ALLOW_LOCAL_ROOMS)."""
    # Like a real video service on its own origin, it lets the waiting page's probe reach it.
    g.corp = "cross-origin"
    return render_template("public/dev-video-room.html")
