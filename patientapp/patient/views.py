"""The patient's invitation: the link from the SMS, the landing page, calendar and QR code."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import csrf, device_codes, i18n, ics, invitations, links, patient_session
from ..db import get_session
from ..models import Invitation, utcnow
from . import bp


def _enter(invitation: Invitation | None):
    """Start the patient's session for a working invitation and leave the token's URL (R5)."""
    now = utcnow()
    if invitation is None or not patient_session.window().is_open(invitation, now):
        return patient_session.invalid_link()
    invitations.open_invitation(invitation, now)
    g.db_session.commit()
    patient_session.start(invitation)
    return redirect(url_for("patient.landing"), code=303)


@bp.get("/i/<path:token>")
def open_link(token: str):
    """The link from the SMS."""
    return _enter(invitations.find_by_token(get_session(write=True), token))


@bp.get("/d/<path:signed>")
def open_device_link(signed: str):
    """A signed link from the QR code or the calendar entry."""
    ref = links.unsign_ref(current_app.config["SECRET_KEY"], signed, {
        "qr": current_app.config["QR_LINK_MAX_AGE_SECONDS"],
        "calendar": None,  # bounded by the invitation's own window
    })
    if ref is None:
        return _enter(None)
    ref, generation = links.split_generation(ref)
    invitation = invitations.find_by_ref(get_session(write=True), ref)
    if invitation is not None and generation != (invitation.link_generation or 1):
        invitation = None  # made before staff replaced the link
    return _enter(invitation)


@bp.get("/visit")
def landing():
    """The landing page: when, with whom, what to prepare, consent, privacy, cost, devices."""
    link = patient_session.current_link()
    if link is None:
        return patient_session.invalid_link()
    page = link.landing(i18n.current().format_locale, utcnow())
    library = current_app.extensions["patientapp.guides"]
    lang = i18n.current().code
    guides, help_topics = tuple(library.group("guide", lang)), tuple(library.group("help", lang))
    # The page follows from these (and the language and path): rendered once, served many times.
    return current_app.extensions["patientapp.pages"].render(
        "patient/landing.html", (page, guides, help_topics, link.role), page=page, guides=guides,
        help_topics=help_topics, role=link.role, qr_minutes=current_app.config["QR_LINK_MAX_AGE_SECONDS"] // 60)


@bp.post("/visit/device-code")
def device_code():
    """A short code to open this visit on a PC or tablet instead of typing the long link."""
    invitation = patient_session.current_invitation(write=True)
    if invitation is None:
        return patient_session.invalid_link()
    code, _expires = device_codes.issue(g.db_session, invitation, current_app.config["SECRET_KEY"], utcnow())
    g.db_session.commit()
    minutes = int(device_codes.LIFETIME.total_seconds() // 60)  # "10 minutes", not the 9 and a bit left
    return render_template("patient/device-code.html", code=device_codes.grouped(code), minutes=minutes,
                           address=_short_address())


@bp.get("/code")
@bp.get("/kode")
def code_form():
    """Where a PC or tablet takes over a visit: type the code from the phone."""
    return render_template("patient/code.html", address=_short_address())


@bp.post("/code")
@csrf.exempt
def enter_code():
    """A typed code: the same time and the same answer for every code that does not work (R4).

    The form is on the start page, which the service worker keeps and every process must render
    alike (pwa: its version is a hash of the pages), so it carries no CSRF token; a form sent from
    another site is refused by its Origin (or Referer) instead, as OWASP's header check does."""
    if not _sent_from_here():
        abort(400)
    started = time.monotonic()
    db = get_session(write=True)
    typed, key = request.form.get("code", ""), current_app.config["SECRET_KEY"]
    # The letter's and the SMS's ten characters (links.py), or six digits from a phone (device_codes.py):
    # either way an HMAC and one query, whatever was typed (R4).
    typeable = links.normalise_code(typed)
    if typeable is not None:
        invitation = invitations.find_by_code(db, typeable, key)
    else:
        invitation = device_codes.redeem(db, typed, key, utcnow())
    if invitation is not None and patient_session.window().is_open(invitation, utcnow()):
        answer = _enter(invitation)  # a session of this device's own; the other device keeps its
    else:
        db.commit()  # a used code is gone, whether or not its invitation still works
        answer = render_template("patient/code.html", address=_short_address(), failed=True), 400
    time.sleep(max(0.0, float(current_app.config["CODE_ANSWER_SECONDS"]) - (time.monotonic() - started)))
    return answer


def _sent_from_here() -> bool:
    here = request.host_url.rstrip("/")
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == here
    referer = request.headers.get("Referer") or ""
    return referer == here or referer.startswith(here + "/")


def _short_address() -> str:
    return links.short_address(current_app.config["PUBLIC_BASE_URL"])


@bp.get("/visit/calendar.ics")
def calendar():
    """An .ics file for the patient's own calendar: private, with a link back to this invitation."""
    invitation = patient_session.current_invitation()
    if invitation is None:
        return patient_session.invalid_link()
    url = _device_url(invitation, "calendar")
    body = ics.event(
        uid_seed=invitation.ref,
        host=urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost",
        start=invitation.starts_at,
        end=invitation.ends_at,
        summary=_("Video appointment: %(clinic)s", clinic=invitation.clinic.display_name),
        description=_("Open this link a few minutes before the appointment: %(url)s", url=url),
        url=url,
        alarm_text=_("Your video appointment starts in 30 minutes."),
        now=utcnow(),
    )
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'attachment; filename="video-appointment.ics"'})


@bp.get("/visit/qr.svg")
def qr_code():
    """A QR code that opens this invitation on a phone; it expires after a short while."""
    invitation = patient_session.current_invitation()
    if invitation is None:
        return patient_session.invalid_link()
    image = qrcode.make(_device_url(invitation, "qr"), image_factory=qrcode.image.svg.SvgPathImage,
                        border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    return Response(image.to_string(encoding="unicode"), mimetype="image/svg+xml")


def _device_url(invitation: Invitation, purpose: str) -> str:
    signed = links.sign_ref(current_app.config["SECRET_KEY"],
                            links.with_generation(invitation.ref, invitation.link_generation or 1), purpose)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("patient.open_device_link", signed=signed)
