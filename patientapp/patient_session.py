"""The patient's session: which invitation this browser has opened. Shared by every patient page."""
from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta

from flask import current_app, g, render_template, session

from . import appointment, i18n, invitations, link_memory, participants
from .db import get_session
from .models import Invitation, utcnow
from .paths import DEVICE_KEY, GENERATION_KEY, VISIT_KEY


def window() -> invitations.Window:
    return invitations.Window(grace=timedelta(minutes=current_app.config["LINK_GRACE_MINUTES"]))


def start(invitation: Invitation) -> None:
    """Remember the invitation in a fresh session (a new cookie, so nothing carries over), except this
    browser's name when it opens the same invitation's link again: after a dropped call the patient
    may tap the SMS link, and the way back to the room is bound to that name (R12)."""
    same = session.get(VISIT_KEY) == invitation.ref and isinstance(session.get(DEVICE_KEY), str)
    name = session[DEVICE_KEY] if same else secrets.token_urlsafe(16)
    session.clear()
    session[VISIT_KEY] = invitation.ref
    session[GENERATION_KEY] = invitation.link_generation or 1
    session[DEVICE_KEY] = name
    session[i18n.SESSION_KEY] = invitation.language
    session.permanent = True


def visit() -> tuple[str, int] | None:
    """The invitation reference and link generation this browser's session holds, without asking the
    database whether the link still works (status_hold.Known: only with no news since it was asked)."""
    ref = session.get(VISIT_KEY)
    if not isinstance(ref, str):
        return None
    return ref, session.get(GENERATION_KEY, 1)


def forget() -> None:
    for key in (VISIT_KEY, GENERATION_KEY, DEVICE_KEY, i18n.SESSION_KEY):
        session.pop(key, None)


def device() -> str | None:
    """This browser's name, hashed as the knock keeps it; None for a session from before it was given."""
    value = session.get(DEVICE_KEY)
    return hashlib.sha256(value.encode()).hexdigest() if isinstance(value, str) and value else None


def current_invitation(write: bool = False) -> Invitation | None:
    """The invitation this browser opened, if its link still works; sets its language for the page.

    `write`: the request changes it; its row stays locked until the request commits (R62).
    """
    ref = session.get(VISIT_KEY)
    if not isinstance(ref, str):
        return None
    invitation = invitations.find_by_ref(get_session(write=write), ref, lock=write)
    if invitation is None or not window().is_open(invitation, utcnow()):
        return None
    if not _same_generation(invitation):
        return None
    g.invitation_language = invitation.language
    return invitation


def current_link() -> link_memory.Link | None:
    """The invitation this browser opened, as a page that only shows it needs it (link_memory): from
    what this process read a moment ago while no news of it came, else from the database."""
    visit_ = visit()
    if visit_ is None:
        return None
    memory: link_memory.LinkMemory = current_app.extensions["patientapp.links"]
    now = utcnow()
    link = memory.recall(visit_[0], visit_[1], now)
    if link is None:
        read_at = time.monotonic()
        invitation = current_invitation()
        if invitation is None:
            return None
        link = link_memory.Link.of(invitation, window().closes_at(invitation), read_at)
        memory.remember(link)
    g.invitation_language = link.language
    return link


def invalid_link():
    """One page and one status for every link that does not work (R4): nothing about why. Except for
    a participant whose session is open while the appointment ended with the patient's (withdrawn or
    cancelled): they are told it is cancelled, not why (participants.cancelled_for)."""
    cancelled = _cancelled_appointment()
    if cancelled is not None:
        g.invitation_language = cancelled.language
        page = appointment.landing(cancelled, i18n.current().format_locale, utcnow())
        return render_template("patient/cancelled.html", page=page), 410
    forget()
    return render_template("patient/link-invalid.html"), 410


def _cancelled_appointment() -> Invitation | None:
    ref = session.get(VISIT_KEY)
    if not isinstance(ref, str):
        return None
    invitation = invitations.find_by_ref(get_session(), ref)
    if invitation is None or not _same_generation(invitation):
        return None
    return invitation if participants.cancelled_for(invitation, window(), utcnow()) else None


def _same_generation(invitation: Invitation) -> bool:
    """Was this session started with the invitation's current link? A session from before staff
    replaced the link (a wrong number) ends with the old link (R3). Sessions from before generations
    existed carry none and count as the first."""
    return session.get(GENERATION_KEY, 1) == (invitation.link_generation or 1)
