"""Signing in and enrolling with passkeys; listing and removing them. Thin: the ceremonies live in staff_access."""
from __future__ import annotations

import secrets

from flask import current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from .. import audit, paths, staff_access
from ..db import get_session
from ..models import Passkey, utcnow
from . import bp
from .guard import COOKIE, relying_party, set_session_cookie

FLOW_KEY = paths.WEBAUTHN_FLOW_KEY
ENROL_KEY = paths.ENROLMENT_KEY


def _flow(new: bool = False) -> str | None:
    if new:
        session[FLOW_KEY] = secrets.token_urlsafe(32)
    return session.get(FLOW_KEY)


def _failed(reason: str, status: int = 400):
    """One answer for every failure, so that nobody learns which part was wrong (R20)."""
    return jsonify(error="failed", message=_("Sign-in did not work. Try again, or ask your administrator.")), status


@bp.get("/login")
def login():
    """The sign-in page."""
    if g.get("staff"):
        return redirect(url_for("staff.dashboard"))
    return render_template("staff/login.html")


@bp.post("/webauthn/login/options")
def login_options():
    db = get_session(write=True)
    options = staff_access.authentication_options(db, _flow(new=True), relying_party(), utcnow())
    db.commit()
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/webauthn/login/verify")
def login_verify():
    db = get_session(write=True)
    body = request.get_data(as_text=True)
    try:
        staff, passkey = staff_access.verify_authentication(db, _flow(), body, relying_party(), utcnow())
    except staff_access.AuthError as error:
        db.commit()  # the challenge is gone either way (R17)
        event = audit.record(db, "login", "failure",
                             detail=f"{error.reason} cred={staff_access.credential_id_hash(body)}")
        if error.reason == "sign-count":
            event.action = "login-cloned-authenticator"
        db.commit()
        return _failed(error.reason)
    old = request.cookies.get(COOKIE)
    staff_access.end_session(db, old)  # a new session id on every sign-in (R26)
    token = staff_access.start_session(db, staff, utcnow())
    audit.record(db, "login", staff_id=staff.id, clinic_id=staff.clinic_id,
                 detail=f"cred={staff_access.credential_id_hash(body)}")
    db.commit()
    session.pop(FLOW_KEY, None)
    response = jsonify(redirect=url_for("staff.dashboard"))
    set_session_cookie(response, token)
    return response


@bp.post("/logout")
def logout():
    db = get_session(write=True)
    staff_access.end_session(db, request.cookies.get(COOKIE))
    audit.staff_action(db, "logout")
    db.commit()
    response = redirect(url_for("staff.login"), code=303)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="Lax")
    # The browser forgets everything this site stored for the signed-out user (R27).
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@bp.get("/enrol/<path:token>")
def enrol_link(token: str):
    """The link from an administrator: checked, remembered in the session, then dropped from the URL."""
    db = get_session()
    enrolment = staff_access.find_enrolment(db, token, utcnow())
    if enrolment is None:
        return render_template("staff/enrol-invalid.html"), 410
    session[ENROL_KEY] = enrolment.id
    return redirect(url_for("staff.enrol"), code=303)


@bp.get("/enrol")
def enrol():
    enrolment = staff_access.enrolment_by_id(get_session(), session.get(ENROL_KEY), utcnow())
    if enrolment is None:
        return render_template("staff/enrol-invalid.html"), 410
    return render_template("staff/enrol.html", enrolment=enrolment)


def _registering_staff(db):
    """The person a passkey is being added for: the enrolling one, or the one signed in."""
    enrolment = staff_access.enrolment_by_id(db, session.get(ENROL_KEY), utcnow())
    if enrolment is not None:
        return enrolment.staff, enrolment
    return g.get("staff"), None


@bp.post("/webauthn/register/options")
def register_options():
    db = get_session(write=True)
    staff, _enrolment = _registering_staff(db)
    if staff is None:
        return _failed("no-enrolment", 410)
    options = staff_access.registration_options(db, staff, _flow(new=True), relying_party(), utcnow())
    db.commit()
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/webauthn/register/verify")
def register_verify():
    db = get_session(write=True)
    staff, enrolment = _registering_staff(db)
    if staff is None:
        return _failed("no-enrolment", 410)
    body = request.get_data(as_text=True)
    name = request.args.get("name", "")[:60].strip() or _("Passkey %(number)s", number=len(staff.passkeys) + 1)
    try:
        staff_access.verify_registration(db, staff, _flow(), body, relying_party(), utcnow(), name)
    except staff_access.AuthError as error:
        audit.record(db, "passkey-add", "failure", staff_id=staff.id, clinic_id=staff.clinic_id, detail=error.reason)
        db.commit()
        return _failed(error.reason)
    audit.record(db, "passkey-add", staff_id=staff.id, clinic_id=staff.clinic_id)
    response = jsonify(redirect=url_for("staff.passkeys" if enrolment is None else "staff.dashboard"))
    if enrolment is not None:
        staff_access.use_enrolment(db, enrolment, utcnow())
        session.pop(ENROL_KEY, None)
        staff_access.end_session(db, request.cookies.get(COOKIE))
        set_session_cookie(response, staff_access.start_session(db, staff, utcnow()))
        audit.record(db, "login", staff_id=staff.id, clinic_id=staff.clinic_id, detail="enrolment")
    db.commit()
    session.pop(FLOW_KEY, None)
    return response


@bp.get("/passkeys")
def passkeys():
    """The signed-in person's passkeys."""
    return render_template("staff/passkeys.html", passkeys=sorted(g.staff.passkeys, key=lambda p: p.created_at))


@bp.post("/passkeys/<int:passkey_id>/delete")
def delete_passkey(passkey_id: int):
    db = get_session(write=True)
    passkey = db.get(Passkey, passkey_id)
    if passkey is None or passkey.staff_id != g.staff.id:
        return render_template("errors/error.html", code=404), 404
    if len(g.staff.passkeys) <= 1:
        # Removing the last one would lock the person out: an administrator issues a new link instead.
        return render_template("staff/passkeys.html", passkeys=g.staff.passkeys,
                               error=_("You cannot remove your only passkey. Add another one first.")), 409
    db.delete(passkey)
    audit.staff_action(db, "passkey-remove")
    db.commit()
    return redirect(url_for("staff.passkeys"), code=303)
