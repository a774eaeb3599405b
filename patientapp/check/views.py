"""The equipment check: the page (public and per invitation), its network probes and the summary."""
from __future__ import annotations

import os

from flask import abort, current_app, jsonify, render_template, request

from .. import equipment_check, knocks, patient_session
from ..db import get_session
from ..models import utcnow
from . import bp
from .context import page_context


@bp.get("/check")
def public_check():
    """The check anyone can run, for clinics to link to; nothing is sent back."""
    return render_template("check/check.html", **page_context(invitation=None))


@bp.get("/visit/check")
def visit_check():
    """The check from an invitation: its summary is kept for the clinic."""
    invitation = patient_session.current_invitation()
    if invitation is None:
        return patient_session.invalid_link()
    # From 30 minutes before, a good check leads on to the waiting room.
    now = utcnow()
    knock_open = knocks.knock_opens_at(invitation) <= now <= invitation.ends_at
    return render_template("check/check.html", knock_open=knock_open, **page_context(invitation=invitation))


@bp.post("/api/visit/check")
def save_summary():
    """Store the check's summary (one word per check) on the patient's invitation."""
    invitation = patient_session.current_invitation(write=True)
    if invitation is None:
        return jsonify(error="gone"), 410
    try:
        summary = equipment_check.parse_summary(request.get_json(silent=True))
    except equipment_check.InvalidSummary:
        return jsonify(error="invalid"), 400
    equipment_check.record(invitation, summary, utcnow())
    get_session().commit()
    return jsonify(status=equipment_check.overall(summary))


@bp.get("/api/check/ping")
def ping():
    """A tiny answer for measuring round-trip time."""
    return "", 204


@bp.get("/api/check/download")
def download():
    """Random, incompressible bytes for measuring download speed; capped so it cannot be abused."""
    raw = request.args.get("bytes", str(equipment_check.DOWNLOAD_SAMPLE_BYTES))
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= equipment_check.MAX_DOWNLOAD_BYTES:
        abort(400)
    size = int(raw)
    return current_app.response_class(os.urandom(size), mimetype="application/octet-stream")
