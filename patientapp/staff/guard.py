"""Who is signed in: loads the staff session for every /staff request and guards the pages."""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, jsonify, redirect, request, session, url_for

from .. import paths, staff_access
from ..db import begin_write, get_session
from ..models import utcnow

COOKIE = "__Host-staff"
# Pages anyone may open: signing in and enrolling.
PUBLIC_ENDPOINTS = {"staff.login", "staff.login_options", "staff.login_verify", "staff.enrol_link",
                    "staff.enrol", "staff.register_options", "staff.register_verify"}


def relying_party() -> staff_access.RelyingParty:
    return staff_access.RelyingParty.from_base_url(current_app.config["PUBLIC_BASE_URL"],
                                                 current_app.config["RP_NAME"])


def load_staff() -> None:
    g.staff = None
    record = staff_access.load_session(get_session(), request.cookies.get(COOKIE), utcnow(),
                                     idle=current_app.config["STAFF_IDLE_TIMEOUT"])
    if record is not None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            begin_write(get_session())  # the touch may have committed: the action itself writes
        g.staff = record.staff
        g.staff_language = record.staff.language
    elif session.get(paths.ENROLMENT_KEY) is not None:
        # Enrolling: the page speaks the language the administrator chose for this person.
        enrolment = staff_access.enrolment_by_id(get_session(), session[paths.ENROLMENT_KEY], utcnow())
        g.staff_language = enrolment.staff.language if enrolment else None
    if g.staff is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.path.startswith(paths.STAFF_API) or request.method != "GET":
            return jsonify(error="unauthenticated"), 401
        return redirect(url_for("staff.login"))
    return None


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not g.staff or not g.staff.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


def set_session_cookie(response, token: str) -> None:
    response.set_cookie(COOKIE, token, secure=True, httponly=True, samesite="Lax", path="/",
                        max_age=int(staff_access.ABSOLUTE_TIMEOUT.total_seconds()))
