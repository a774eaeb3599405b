"""Everyone who takes part in an appointment: the patient, and the relative, interpreter or health
worker who joins them. No Flask here.

Each participant has an invitation of their own (models.Invitation.role, .party_id): their own link
and codes (R1-R3), language, staff-only label (R52), equipment check, knock, lapse and hand-off,
so that everything the waiting room does for the patient it does for each of them. The appointment's
time and room are the patient's, and follow it when staff move it. Only the patient withdraws
(knocks.withdraw); when they do, or the clinic cancels, every participant's invitation ends too and
their pages say the appointment is cancelled, not why. Removing a participant ends their invitation
alone; their pages then say only that the link no longer works (R4).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, object_session

from . import invitations
from .models import Invitation

PATIENT = "patient"
RELATIVE = "relative"
INTERPRETER = "interpreter"
HEALTH_WORKER = "health-worker"
ROLES = (PATIENT, RELATIVE, INTERPRETER, HEALTH_WORKER)
# Roles staff can add beside the patient (the patient is the appointment's own invitation: exactly one).
OTHER_ROLES = (RELATIVE, INTERPRETER, HEALTH_WORKER)
# Beside the patient: a relative, an interpreter, a nurse and a GP, with room to spare.
MAX_PARTICIPANTS = 6
MAX_CALL_NAME = 40


class TooMany(invitations.InvalidTransition):
    """A participant was added to an appointment that has MAX_PARTICIPANTS live ones already."""


def patient_of(invitation: Invitation) -> Invitation | None:
    """The patient's invitation: the appointment a participant joins (the patient's is its own)."""
    if invitation.party_id is None:
        return invitation
    session = object_session(invitation)
    return session.get(Invitation, invitation.party_id) if session is not None else None


def live_party(patient: Invitation) -> list[Invitation]:
    """The participants of the patient's appointment whose invitations still work (not removed)."""
    return [member for member in patient.party if member.state not in invitations.DEAD_STATES]


def _ahead(patient: Invitation) -> list[Invitation]:
    """Participants whose appointment is still ahead or under way (not done, withdrawn or removed)."""
    return [member for member in patient.party if member.state in invitations.LIVE_STATES]


def add(session: Session, patient: Invitation, role: str, language: str, label: str | None, now: datetime,
        call_name: str | None = None, languages: tuple[str, ...] = (), code_key: str | None = None,
        ) -> tuple[Invitation, str]:
    """Add a participant to the patient's appointment: their own invitation for the same time and room;
    returns it and its link token (the only time the token exists)."""
    if patient.role != PATIENT or patient.party_id is not None:
        raise invitations.InvalidInvitation("participants join the patient's appointment")
    if role not in OTHER_ROLES:
        raise invitations.InvalidInvitation("unknown role")
    if not invitations.allowed(patient, "add-participant"):
        raise invitations.InvalidTransition(f"add a participant in {patient.state}")
    if len(live_party(patient)) >= MAX_PARTICIPANTS:
        raise TooMany(f"{MAX_PARTICIPANTS} participants")
    call_name = _one_line(call_name)
    invitations.check_staff_text(call_name, MAX_CALL_NAME, "call name")
    # The appointment's times are the patient's, whatever they are now (it may be under way).
    member, token = invitations.create_invitation(
        session, patient.clinic, patient.starts_at, patient.ends_at, language, label=label, languages=languages,
        room_ref=patient.room_ref, code_key=code_key)
    member.role, member.party_id, member.call_name = role, patient.id, call_name or None
    patient.party.append(member)
    patient.updated_at = now
    session.flush()
    return member, token


def remove(session: Session, member: Invitation, now: datetime) -> None:
    """Take a participant out: their link, codes and every session of theirs stop working at once (R3);
    a knock of theirs ends. The appointment goes on for everyone else."""
    if not invitations.allowed(member, "remove"):
        raise invitations.InvalidTransition(f"remove in {member.state}")
    _end(session, member, now)


def follow(patient: Invitation, now: datetime) -> None:
    """The participants' invitations take the appointment's new time and room (after a reschedule)."""
    for member in _ahead(patient):
        member.starts_at, member.ends_at, member.room_ref = patient.starts_at, patient.ends_at, patient.room_ref
        member.updated_at = now


def end_with(session: Session, patient: Invitation, now: datetime) -> None:
    """The appointment is over for everyone: the patient withdrew or the clinic cancelled. Each
    participant's invitation ends (their pages say "cancelled": cancelled_for)."""
    for member in _ahead(patient):
        _end(session, member, now)


def _end(session: Session, member: Invitation, now: datetime) -> None:
    """A participant's invitation ends: a knock of theirs ends, and their link with it (R3)."""
    from . import knocks  # the knocks' module builds on this one

    knocks.close_active(session, member, now)
    invitations.transition(member, invitations.CANCELLED, now)


def cancelled_for(member: Invitation, window: invitations.Window, now: datetime) -> bool:
    """Should this participant's page say the appointment is cancelled? Yes when it ended with the
    patient's (withdrawn or cancelled), while their link would otherwise still work; a participant who
    was removed from an appointment that goes on is told only that the link no longer works (R4)."""
    if member.party_id is None or member.state != invitations.CANCELLED or now > window.closes_at(member):
        return False
    patient = patient_of(member)
    return patient is not None and patient.state in (invitations.WITHDRAWN, invitations.CANCELLED)


def may_withdraw(invitation: Invitation) -> bool:
    """Only the patient decides whether the appointment goes ahead."""
    return invitation.role == PATIENT


def _one_line(text: str | None) -> str | None:
    if text is None:
        return None
    return " ".join(text.split()) or None


def group_id(invitation: Invitation) -> int:
    """The patient's invitation id: the same for everyone in one appointment (one room, R12)."""
    return invitation.party_id or invitation.id

