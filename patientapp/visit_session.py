"""The patient's session: which invitation this browser has opened. Shared by every patient page."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, render_template, session

from . import i18n, visits
from .db import get_session
from .models import Invitation, utcnow

VISIT_KEY = "visit"


def window() -> visits.Window:
    return visits.Window(grace=timedelta(minutes=current_app.config["LINK_GRACE_MINUTES"]))


def start(invitation: Invitation) -> None:
    """Remember the invitation in a fresh session (a new cookie, so nothing carries over)."""
    session.clear()
    session[VISIT_KEY] = invitation.ref
    session[i18n.SESSION_KEY] = invitation.language
    session.permanent = True


def forget() -> None:
    session.pop(VISIT_KEY, None)
    session.pop(i18n.SESSION_KEY, None)


def current_invitation(write: bool = False) -> Invitation | None:
    """The invitation this browser opened, if its link still works; sets its language for the page.

    `write`: the request changes it; its row stays locked until the request commits (R62).
    """
    ref = session.get(VISIT_KEY)
    if not isinstance(ref, str):
        return None
    invitation = visits.find_by_ref(get_session(write=write), ref, lock=write)
    if invitation is None or not window().is_open(invitation, utcnow()):
        return None
    g.invitation_language = invitation.language
    return invitation


def invalid_link():
    """One page and one status for every link that does not work (R4): nothing about why."""
    forget()
    return render_template("patient/link-invalid.html"), 410
