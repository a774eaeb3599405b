"""The patient's invitation: the link from the SMS, the landing page, calendar and QR code."""
from __future__ import annotations

from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from flask import Response, current_app, g, redirect, url_for
from flask_babel import gettext as _

from .. import i18n, ics, invitations, links, patient_session
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
        "patient/landing.html", (page, guides, help_topics), page=page, guides=guides, help_topics=help_topics,
        qr_minutes=current_app.config["QR_LINK_MAX_AGE_SECONDS"] // 60)


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
