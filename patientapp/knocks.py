"""The waiting room: knocking, lapsing, admission, hand-off and withdrawal. No Flask here.

A knock is one patient's "I am here". It lapses when nobody answers in time (15 minutes by default),
can be admitted once (R12), and the admission opens a single-use hand-off that lives ten minutes.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, lazyload

from . import invitations, participants
from .db import begin_write
from .models import Clinic, Invitation, Knock, Staff

# The version of the information and consent text the patient confirms before knocking (R14).
CONSENT_VERSION = "2026-11"
KNOCK_OPENS_BEFORE = timedelta(minutes=30)  # R3
HANDOFF_TTL = timedelta(minutes=10)  # R12
# Preset messages staff can send, so the patient reads them in their own language.
MESSAGES = ("late-5", "late-10", "late-15", "will-call")

WAITING, ADMITTED, DENIED, LAPSED, WITHDRAWN, ENDED = "waiting", "admitted", "denied", "lapsed", "withdrawn", "ended"
ACTIVE = (WAITING, ADMITTED)


class Refused(Exception):
    """An action that the state does not allow; `status` is the HTTP status to answer with."""

    def __init__(self, reason: str, status: int = 409):
        super().__init__(reason)
        self.reason = reason
        self.status = status


def lock(db: Session, knock_: Knock, clinic: bool = False) -> None:
    """Lock the knock's invitation (and with `clinic`, its clinic: the rooms) until the transaction
    ends, then forget what was read before: staff actions on one invitation, and a patient's knocks and
    hand-offs, happen one after another (R12, R62). Without it, on PostgreSQL, two admissions racing
    both read "waiting" and both succeeded, and two knocks racing made two knocks.
    SQLite needs no row locks: its writers take turns for the whole transaction (db.py)."""
    if clinic:
        db.execute(select(Clinic.id).where(Clinic.id == knock_.invitation.clinic_id).with_for_update())
    db.execute(select(Invitation.id).where(Invitation.id == knock_.invitation_id).with_for_update())
    db.expire_all()


def lock_appointment(db: Session, patient: Invitation) -> None:
    """Lock the clinic (admissions one at a time: one appointment per room) and every invitation of the
    patient's appointment, then forget what was read before (as lock does for one knock)."""
    db.execute(select(Clinic.id).where(Clinic.id == patient.clinic_id).with_for_update())
    db.execute(select(Invitation.id).where(or_(Invitation.id == patient.id, Invitation.party_id == patient.id))
               .with_for_update())
    db.expire_all()


def knock_opens_at(invitation: Invitation) -> datetime:
    return invitation.starts_at - KNOCK_OPENS_BEFORE


def latest_knock(db: Session, invitation: Invitation) -> Knock | None:
    # The invitation is at hand: not joined in again (with its clinic's rooms, a JSON document).
    return db.scalar(select(Knock).where(Knock.invitation_id == invitation.id).options(lazyload(Knock.invitation))
                     .order_by(Knock.id.desc()).limit(1))


def latest_knocks(db: Session, invitation_ids: list[int]) -> dict[int, Knock]:
    """The latest knock of each of these invitations, in one query (the dashboard asks every few seconds)."""
    if not invitation_ids:
        return {}
    newest = (select(func.max(Knock.id)).where(Knock.invitation_id.in_(invitation_ids))
              .group_by(Knock.invitation_id).scalar_subquery())
    # The caller has loaded these invitations: they are not joined in again (with their clinic's rooms).
    knocks = select(Knock).where(Knock.id.in_(newest)).options(lazyload(Knock.invitation))
    return {knock.invitation_id: knock for knock in db.scalars(knocks)}


# "Last seen" is kept to within this: staff see a stale patient after 20 s, and polls stay cheap.
HEARTBEAT_EVERY = timedelta(seconds=8)


def lapse_due(knock: Knock, now: datetime) -> bool:
    return knock.state == WAITING and now >= knock.lapses_at


def heartbeat_due(knock: Knock, now: datetime) -> bool:
    return knock.state in ACTIVE and now - knock.last_seen_at >= HEARTBEAT_EVERY


def refresh(knock: Knock | None, now: datetime) -> Knock | None:
    """Lapse a knock nobody answered in time; the invitation goes back to 'opened'."""
    if knock is not None and knock.state == WAITING and now >= knock.lapses_at:
        knock.state = LAPSED
        if knock.invitation.state == invitations.KNOCKING:
            invitations.transition(knock.invitation, invitations.OPENED, now)
    return knock


def knock(db: Session, invitation: Invitation, consent_version: object, now: datetime, lapse: timedelta) -> Knock:
    """Knock, or return the knock already waiting (the same visit is the same knock, R60)."""
    if consent_version != CONSENT_VERSION:
        raise Refused("consent", 400)
    if invitation.state in (invitations.WITHDRAWN, invitations.CANCELLED, invitations.EXPIRED, invitations.COMPLETED):
        raise Refused("state")
    if now < knock_opens_at(invitation):
        raise Refused("too-early")
    current = refresh(latest_knock(db, invitation), now)
    if current is not None and (current.state == WAITING or handoff_ready(current, now)):
        current.last_seen_at = now
        return current
    # Let in before, and the hand-off used or run out: the call dropped, or never started. The
    # earlier admission is over and the clinic sees this knock as the same patient knocking again.
    rejoin = current is not None and current.state == ADMITTED
    if rejoin:
        current.state = ENDED
    new = Knock(invitation=invitation, state=WAITING, consent_version=CONSENT_VERSION, created_at=now,
                last_seen_at=now, lapses_at=now + lapse, rejoin=rejoin)
    db.add(new)
    if invitation.state == invitations.SCHEDULED:
        invitations.open_invitation(invitation, now)
    if invitation.state in (invitations.OPENED, invitations.ADMITTED):
        invitations.transition(invitation, invitations.KNOCKING, now)
    return new


def room_busy(db: Session, invitation: Invitation) -> bool:
    """Is another patient of this clinic admitted to the same room and not yet done? (R12, NHN: no early
    callers.) Everyone in one appointment shares its room: their admissions do not make it busy."""
    if not invitation.room_ref:
        return False
    group = participants.group_id(invitation)
    other = db.scalar(
        select(Knock.id).join(Invitation, Knock.invitation_id == Invitation.id)
        .where(Invitation.clinic_id == invitation.clinic_id, Invitation.room_ref == invitation.room_ref,
               Invitation.id != group, or_(Invitation.party_id.is_(None), Invitation.party_id != group),
               Knock.state == ADMITTED).limit(1))
    return other is not None


def admit(db: Session, knock_: Knock, staff: Staff, now: datetime, override: bool = False) -> None:
    refresh(knock_, now)
    if knock_.state != WAITING:
        raise Refused("not-waiting")  # a replayed admit lands here (R12)
    if not override and room_busy(db, knock_.invitation):
        raise Refused("room-busy")
    knock_.state = ADMITTED
    knock_.admitted_at = now
    knock_.admitted_by = staff.id
    knock_.handoff_expires_at = now + HANDOFF_TTL
    invitations.transition(knock_.invitation, invitations.ADMITTED, now)


def deny(knock_: Knock, now: datetime) -> None:
    refresh(knock_, now)
    if knock_.state != WAITING:
        raise Refused("not-waiting")
    knock_.state = DENIED
    invitations.transition(knock_.invitation, invitations.OPENED, now)


def end(knock_: Knock, now: datetime) -> None:
    """The consultation is over: the room is free for the next patient."""
    if knock_.state != ADMITTED:
        raise Refused("not-admitted")
    knock_.state = ENDED
    invitations.transition(knock_.invitation, invitations.COMPLETED, now)


def party_knocks(db: Session, patient: Invitation) -> list[Knock]:
    """The latest knock of each participant of the patient's appointment whose invitation still works."""
    members = participants.live_party(patient)
    latest = latest_knocks(db, [member.id for member in members])
    return [latest[member.id] for member in members if member.id in latest]


def end_appointment(db: Session, knock_: Knock, now: datetime) -> None:
    """"Done" on the patient: the consultation is over for everyone let in with them, and the room is
    free for the next appointment. On a participant: only they are done."""
    end(knock_, now)
    if knock_.invitation.party_id is None:
        for other in party_knocks(db, knock_.invitation):
            if other.state == ADMITTED:
                end(other, now)


def admit_all(db: Session, patient: Invitation, staff: Staff, now: datetime, override: bool = False) -> int:
    """Let in everyone of the appointment who is knocking, the patient and the participants alike;
    returns how many. The room is busy only if another appointment is in it (room_busy)."""
    current = latest_knock(db, patient)
    waiting = [knock_ for knock_ in [current, *party_knocks(db, patient)]
               if knock_ is not None and refresh(knock_, now).state == WAITING]
    if not waiting:
        raise Refused("not-waiting")
    if not override and room_busy(db, patient):
        raise Refused("room-busy")
    for knock_ in waiting:
        admit(db, knock_, staff, now, override=True)  # the room was asked about once, for all of them
    return len(waiting)


def send_message(knock_: Knock, key: str, now: datetime) -> None:
    refresh(knock_, now)
    if key not in MESSAGES:
        raise Refused("message", 400)
    if knock_.state != WAITING:
        raise Refused("not-waiting")
    knock_.message = key


def _handoff_open(knock_: Knock | None, now: datetime) -> bool:
    return (knock_ is not None and knock_.state == ADMITTED and knock_.handoff_expires_at is not None
            and now <= knock_.handoff_expires_at)


def handoff_ready(knock_: Knock | None, now: datetime) -> bool:
    """Let in, and the hand-off not yet used and not run out: the page goes to the room now."""
    return _handoff_open(knock_, now) and knock_.handoff_used_at is None


def may_go(knock_: Knock | None, now: datetime, device: str | None) -> bool:
    """May this browser go to the room: the first time within ten minutes of the admission, or again
    within them from the browser that went before (a dropped call); never another device (R12)."""
    if not _handoff_open(knock_, now):
        return False
    return knock_.handoff_used_at is None or (device is not None and knock_.handoff_device == device)


def take_handoff(knock_: Knock | None, now: datetime, device: str | None = None) -> bool:
    """Use the admission to go to the room (see may_go); the first use binds it to this browser."""
    if not may_go(knock_, now, device):
        return False
    if knock_.handoff_used_at is None:
        knock_.handoff_used_at = now
        knock_.handoff_device = device
    return True


def patient_state(knock_: Knock | None, now: datetime) -> str:
    """Where the patient stands, as the waiting page shows it: "none", "waiting", "lapsed", "denied",
    "admitted" (go to the room now), "joined" (let in before: the hand-off used or run out) or "ended"."""
    if knock_ is None:
        return "none"
    if knock_.state == ADMITTED:
        return "admitted" if handoff_ready(knock_, now) else "joined"
    if knock_.state == WITHDRAWN:
        return "none"
    return knock_.state


def close_active(db: Session, invitation: Invitation, now: datetime) -> None:
    """End a knock still waiting or let in: the invitation was cancelled or its link replaced."""
    current = refresh(latest_knock(db, invitation), now)
    if current is not None and current.state == WAITING:
        current.state = DENIED
    elif current is not None and current.state == ADMITTED:
        current.state = ENDED


def withdraw(db: Session, invitation: Invitation, now: datetime) -> None:
    """The patient withdraws consent: no reason needed, no consequence for treatment. Only the patient
    may; everyone else's invitation to the appointment ends with it (participants.end_with)."""
    if invitation.state in (invitations.CANCELLED, invitations.EXPIRED):
        raise Refused("state")
    if not participants.may_withdraw(invitation):
        raise Refused("role", 403)
    if invitation.state != invitations.WITHDRAWN:
        invitations.transition(invitation, invitations.WITHDRAWN, now)
    invitation.withdrawn_at = invitation.withdrawn_at or now
    current = latest_knock(db, invitation)
    if current is not None and current.state in ACTIVE:
        current.state = WITHDRAWN
    participants.end_with(db, invitation, now)


def record_lapses(db: Session, seen: Iterable[Knock], now: datetime) -> bool:
    """Write down the lapse of every knock among `seen` whose time has run out, as a reader such as
    the dashboard found them; True when there was any (written and committed).

    A reading transaction cannot turn into a writing one on SQLite: this begins a writing one, which
    expires what the caller read. Each knock is read again under its invitation's lock, so that a
    patient knocking anew or a clinician acting on it at this moment is not overwritten (R12)."""
    due = [knock.invitation_id for knock in seen if lapse_due(knock, now)]
    if not due:
        return False
    begin_write(db)
    for knock in latest_knocks(db, due).values():
        if lapse_due(knock, now):
            lock(db, knock)
            refresh(knock, now)
    db.commit()
    return True


def patient_view(invitation: Invitation, knock_: Knock | None, now: datetime, device: str | None) -> dict:
    """What the patient's page is told, without any address (the view adds those): the state
    ("none", "withdrawn", "waiting", "lapsed", "denied", "admitted", "joined", "ended"), the
    invitation's state, and for a knock its id and seconds waited; while waiting, seconds to the lapse
    and the clinic's preset message; when let in before, whether this browser may go back to the room."""
    answer: dict = {"state": "none", "invitation": invitation.state}
    if invitation.state == invitations.WITHDRAWN:
        answer["state"] = "withdrawn"
        return answer
    if knock_ is None:
        return answer
    state = patient_state(knock_, now)
    answer.update(state=state, knock=knock_.id, waited=int((now - knock_.created_at).total_seconds()))
    if state == WAITING:
        answer.update(lapses_in=max(0, int((knock_.lapses_at - now).total_seconds())), message=knock_.message)
    elif state == "joined":
        # The call may have dropped: back to the room from this browser while the hand-off lasts.
        answer["may_go_back"] = may_go(knock_, now, device)
    return answer


def handoff_failed(knock_: Knock | None, now: datetime) -> bool:
    """The patient's page could not reach the video service after admission: mark it once, so that
    the dashboard tells staff to call (R59). True when this was news."""
    if knock_ is None or knock_.state != ADMITTED or knock_.handoff_failed_at is not None:
        return False
    knock_.handoff_failed_at = now
    return True
