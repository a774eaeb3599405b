"""The patient's waiting room: knock, wait, be let in, or withdraw. JSON for the page's script."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Response, current_app, g, jsonify, redirect, render_template, request, url_for

from .. import (
    appointment,
    audit,
    concurrency,
    i18n,
    invitations,
    knocks,
    participants,
    patient_session,
    role_words,
    rooms,
    status_hold,
    timefmt,
)
from ..db import begin_write, close_session, get_session
from ..models import Invitation, Knock, Staff, utcnow
from . import bp


def _lapse() -> timedelta:
    return timedelta(seconds=current_app.config["KNOCK_LAPSE_SECONDS"])


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def room_url_for(invitation: Invitation, knock_: Knock | None = None) -> str | None:
    """The provider URL for this participant, checked against the allowlist again (R11); None if
    unusable. The room shows them by their role in the language of the clinician who let them in."""
    room = rooms.find_room(invitation.clinic.room_settings, invitation.room_ref)
    if room is None:
        return None
    clinician = get_session().get(Staff, knock_.admitted_by) if knock_ is not None and knock_.admitted_by else None
    name = role_words.call_name(invitation, clinician.language if clinician else None)
    try:
        return rooms.room_url(room, name, invitation.language,
                              current_app.config["ROOM_HOSTS"], current_app.config["ALLOW_LOCAL_ROOMS"])
    except rooms.RoomError:
        return None


@bp.get("/visit/wait")
def wait():
    """Information and consent, then the knock and the wait (R14)."""
    invitation = patient_session.current_invitation()
    if invitation is None:
        return patient_session.invalid_link()
    if invitation.state == invitations.WITHDRAWN:
        return redirect(url_for("patient.withdrawn"))
    page = appointment.landing(invitation, i18n.current().format_locale, utcnow())
    opens_at = timefmt.describe(knocks.knock_opens_at(invitation), invitation.ends_at,
                                        invitation.clinic.time_zone, i18n.current().format_locale, utcnow())
    # The page may look up the video service before handing over, to tell the patient if it is down (R59).
    g.csp_connect_extra = _origin(room_url_for(invitation))
    room_guide = rooms.guide_for(rooms.find_room(invitation.clinic.room_settings, invitation.room_ref))
    return render_template("patient/wait.html", page=page, opens_at=opens_at.start, room_guide=room_guide,
                           role=invitation.role,
                           can_knock=utcnow() >= knocks.knock_opens_at(invitation),
                           consent_version=knocks.CONSENT_VERSION,
                           lapse_minutes=max(1, current_app.config["KNOCK_LAPSE_SECONDS"] // 60))


@bp.post("/api/visit/knock")
def knock():
    invitation = patient_session.current_invitation(write=True)
    if invitation is None:
        return jsonify(error="gone"), 410
    payload = request.get_json(silent=True)
    consent = payload.get("consent_version") if isinstance(payload, dict) else None
    try:
        current = knocks.knock(get_session(), invitation, consent, utcnow(), _lapse())
    except knocks.Refused as refused:
        get_session().rollback()
        return jsonify(error=refused.reason), refused.status
    get_session().commit()
    return jsonify(status(invitation, current)), 201


@bp.get("/api/visit/status")
def visit_status():
    """Where the patient stands; also the heartbeat staff see as "last seen" (R60).

    With `?seen=<version>` from a waiting patient, the answer is held until something changes or
    STATUS_HOLD_SECONDS pass (status_hold.py): an admission reaches the page within a fraction of
    a second, and a quiet waiting room costs a sleeping thread per patient instead of a poll every
    few seconds. `wait: true` in the answer invites the page to ask again at once.
    """
    read_at = time.monotonic()  # news after this moment wakes the held request at once (status_hold.py)
    watch = current_app.extensions["patientapp.watch"]
    seen = request.args.get("seen", "")
    woken = _hold_unread(watch, seen)
    if isinstance(woken, Response):
        return woken
    invitation = patient_session.current_invitation()
    if invitation is None:
        return jsonify(state="gone"), 410
    current, signature = _read_and_refresh(invitation)
    if woken or current is None or current.state != knocks.WAITING or seen != status_hold.version_of(signature):
        return _answer(invitation, current, signature, held=bool(woken))
    hold = _hold_seconds(current.lapses_at)
    if hold <= 0 or not watch.has_room():
        return _answer(invitation, current, signature, held=False)
    known = status_hold.Known(
        invitation_id=invitation.id, knock_id=current.id, signature=signature, version=seen,
        generation=invitation.link_generation or 1, open_until=patient_session.window().closes_at(invitation),
        knock_created_at=current.created_at, lapses_at=current.lapses_at, answer=status(invitation, current),
        read_at=read_at)
    watch.remember(invitation.ref, known)
    # Give the connection back while we sleep: the pool is shared by every request of this process.
    close_session()
    changed = _hold_on(watch, known, hold)
    if isinstance(changed, Response):
        return changed
    invitation = patient_session.current_invitation()
    if invitation is None:
        return jsonify(state="gone"), 410
    current, signature = _read_and_refresh(invitation)
    return _answer(invitation, current, signature, held=changed is not None)


def _hold_unread(watch: status_hold.Watcher, seen: str) -> Response | bool:
    """The page asks again with the version it was just given: if no news of its invitation came since
    that was read (status_hold.Known), hold the question without reading the database. A response
    when the hold ran out quietly; True when news woke it (the caller reads); False when it could not
    be held this way (the caller reads and decides)."""
    visit = patient_session.visit()
    known = watch.recall(visit[0], seen) if seen and visit else None
    if known is None or known.generation != visit[1]:
        return False
    hold = _hold_seconds(known.lapses_at)
    if utcnow() > known.open_until or hold <= 0 or not watch.has_room():
        return False
    changed = _hold_on(watch, known, hold)
    return changed if isinstance(changed, Response) else bool(changed)


def _hold_on(watch: status_hold.Watcher, known: status_hold.Known, hold: float) -> Response | bool | None:
    """Sleep on what was read until news or the hold's end. The hold ran out and no news came: what
    was read still stands, and the answer comes from it (it spares the database the most frequent
    request of a quiet waiting room). Otherwise what the watcher said: True woken, None no room."""
    with concurrency.step_aside() as aside:  # asleep, this request needs no working place
        changed = watch.wait(known.invitation_id, known.knock_id, known.signature, hold, read_at=known.read_at)
        aside.urgent = bool(changed)
    if changed is False and utcnow() < known.lapses_at:
        return _known_answer(known, held=True)
    return changed


def _known_answer(known: status_hold.Known, held: bool):
    answer = known.answer_at(utcnow())
    answer.update(version=known.version, wait=current_app.config["STATUS_HOLD_SECONDS"] > 0, held=held)
    return jsonify(answer)


def _read_and_refresh(invitation: Invitation):
    """The latest knock, lapsed if its time is up, with the signature the page's version comes from."""
    now = utcnow()
    db = get_session()
    current = knocks.latest_knock(db, invitation)
    signature = status_hold.signature_of(invitation, current)
    if current is not None and (knocks.lapse_due(current, now) or knocks.heartbeat_due(current, now)):
        # Most polls only read; a lapse or a stale "last seen" makes this one write.
        begin_write(db)
        invitation = patient_session.current_invitation(write=True)
        current = knocks.refresh(knocks.latest_knock(db, invitation), now)
        if current is not None and current.state in knocks.ACTIVE:
            current.last_seen_at = now
        db.commit()
        signature = status_hold.signature_of(invitation, current)
    return current, signature


def _hold_seconds(lapses_at: datetime) -> float:
    """Hold until the hold time is up, or just past the knock's lapse, whichever comes first."""
    hold = float(current_app.config["STATUS_HOLD_SECONDS"])
    if hold <= 0:
        return 0
    until_lapse = (lapses_at - utcnow()).total_seconds() + 0.5
    return max(0.0, min(hold, until_lapse))


def _answer(invitation: Invitation, current, signature, held: bool):
    answer = status(invitation, current)
    answer["version"] = status_hold.version_of(signature)
    # Ask again at once only where a hold makes sense: while waiting, when holding is on.
    answer["wait"] = (answer["state"] == knocks.WAITING and current_app.config["STATUS_HOLD_SECONDS"] > 0)
    answer["held"] = held
    return jsonify(answer)


def status(invitation: Invitation, knock_) -> dict:
    """The status answer: the knock's rules decide the state; this adds the addresses. No room
    address, number or PIN before admission, nor after the hand-off can no longer be used (R10, R12)."""
    answer = knocks.patient_view(invitation, knock_, utcnow(), patient_session.device())
    may_go_back = answer.pop("may_go_back", False)
    if answer["state"] == "admitted":
        url = room_url_for(invitation, knock_)
        if url:
            answer.update(room_url=url, handoff_url=url_for("patient.handoff"))
        else:
            answer.update(state="handoff-failed")
    elif answer["state"] == "joined":
        answer["admitted_at"] = timefmt.clock(knock_.admitted_at, invitation.clinic.time_zone,
                                              i18n.current().format_locale)
        if may_go_back and room_url_for(invitation, knock_):
            answer["rejoin_url"] = url_for("patient.handoff")
    return answer


@bp.get("/visit/go")
def handoff():
    """To the video room within ten minutes of admission: once, or again from the same browser (R12)."""
    invitation = patient_session.current_invitation(write=True)
    if invitation is None:
        return patient_session.invalid_link()
    current = knocks.latest_knock(get_session(), invitation)
    url = room_url_for(invitation, current)
    if url is None or not knocks.take_handoff(current, utcnow(), patient_session.device()):
        get_session().rollback()
        return redirect(url_for("patient.wait"), code=303)
    get_session().commit()
    return redirect(url, code=303)


@bp.post("/api/visit/handoff-failed")
def handoff_failed():
    """The page could not reach the video service: staff are told to call (R59)."""
    invitation = patient_session.current_invitation(write=True)
    if invitation is None:
        return jsonify(error="gone"), 410
    if knocks.handoff_failed(knocks.latest_knock(get_session(), invitation), utcnow()):
        audit.record(get_session(), "handoff-failed", "failure", clinic_id=invitation.clinic_id,
                     invitation_id=invitation.id)
        get_session().commit()
    return jsonify(ok=True)


@bp.get("/visit/withdraw")
def withdraw_confirm():
    invitation = patient_session.current_invitation()
    if invitation is None:
        return patient_session.invalid_link()
    if not participants.may_withdraw(invitation):  # only the patient decides
        return redirect(url_for("patient.landing"), code=303)
    page = appointment.landing(invitation, i18n.current().format_locale, utcnow())
    return render_template("patient/withdraw.html", page=page)


@bp.post("/visit/withdraw")
def withdraw():
    """Withdraw consent: one confirmation, no reason asked, no consequence for treatment."""
    invitation = patient_session.current_invitation(write=True)
    if invitation is None:
        return patient_session.invalid_link()
    if not participants.may_withdraw(invitation):
        return redirect(url_for("patient.landing"), code=303)
    try:
        knocks.withdraw(get_session(), invitation, utcnow())
    except knocks.Refused:
        get_session().rollback()
        return patient_session.invalid_link()
    audit.record(get_session(), "patient-withdraw", clinic_id=invitation.clinic_id, invitation_id=invitation.id)
    get_session().commit()
    return redirect(url_for("patient.withdrawn"), code=303)


@bp.get("/visit/withdrawn")
def withdrawn():
    invitation = patient_session.current_invitation()
    if invitation is None or invitation.state != invitations.WITHDRAWN:
        return patient_session.invalid_link()
    page = appointment.landing(invitation, i18n.current().format_locale, utcnow())
    return render_template("patient/withdrawn.html", page=page)
