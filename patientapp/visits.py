"""The invitation's life: creation, the link's window and the state machine. No Flask here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import links
from .models import Clinic, Invitation, utcnow

SCHEDULED = "scheduled"
OPENED = "opened"
KNOCKING = "knocking"
ADMITTED = "admitted"
COMPLETED = "completed"
WITHDRAWN = "withdrawn"
CANCELLED = "cancelled"
EXPIRED = "expired"
STATES = (SCHEDULED, OPENED, KNOCKING, ADMITTED, COMPLETED, WITHDRAWN, CANCELLED, EXPIRED)

# States in which the link no longer opens the guide (R3, R4).
DEAD_STATES = frozenset({CANCELLED, EXPIRED})

# Which state may follow which. "knock lapsed" is knocking -> opened.
TRANSITIONS: dict[str, frozenset[str]] = {
    SCHEDULED: frozenset({OPENED, WITHDRAWN, CANCELLED, EXPIRED}),
    OPENED: frozenset({KNOCKING, WITHDRAWN, CANCELLED, EXPIRED}),
    KNOCKING: frozenset({OPENED, ADMITTED, WITHDRAWN, CANCELLED, EXPIRED}),
    ADMITTED: frozenset({COMPLETED, KNOCKING, WITHDRAWN, CANCELLED, EXPIRED}),
    COMPLETED: frozenset({EXPIRED}),
    WITHDRAWN: frozenset({EXPIRED}),
    CANCELLED: frozenset(),
    EXPIRED: frozenset(),
}

MAX_LABEL_LENGTH = 20


class InvalidTransition(ValueError):
    pass


class InvalidInvitation(ValueError):
    pass


@dataclass(frozen=True)
class Window:
    """When a link works: from creation until the end plus the grace period (R3)."""

    grace: timedelta

    def is_open(self, invitation: Invitation, now: datetime) -> bool:
        return invitation.state not in DEAD_STATES and now <= invitation.ends_at + self.grace


def transition(invitation: Invitation, new_state: str, now: datetime | None = None) -> None:
    """Move an invitation to `new_state`, or raise InvalidTransition."""
    if new_state not in TRANSITIONS[invitation.state]:
        raise InvalidTransition(f"{invitation.state} -> {new_state}")
    invitation.state = new_state
    invitation.updated_at = now or utcnow()


def create_invitation(
    session: Session,
    clinic: Clinic,
    starts_at: datetime,
    ends_at: datetime,
    language: str,
    label: str | None = None,
    languages: tuple[str, ...] = (),
) -> tuple[Invitation, str]:
    """Create an invitation and return it with its link token: the only time the token exists."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInvitation("times must be time-zone aware")
    if ends_at <= starts_at:
        raise InvalidInvitation("the appointment must end after it starts")
    if languages and language not in languages:
        raise InvalidInvitation("unknown language")
    if label is not None and len(label) > MAX_LABEL_LENGTH:
        raise InvalidInvitation("label too long")
    token = links.new_token()
    invitation = Invitation(
        ref=links.new_ref(),
        token_hash=links.hash_token(token),
        clinic=clinic,
        starts_at=starts_at,
        ends_at=ends_at,
        language=language,
        label=label or None,
        state=SCHEDULED,
    )
    session.add(invitation)
    session.flush()
    return invitation, token


def find_by_token(session: Session, token: str) -> Invitation | None:
    """Look an invitation up by its link token's hash. Malformed tokens still cost one query (R4)."""
    token_hash = links.hash_token(token if links.looks_like_token(token) else "!" + token)
    return session.scalar(select(Invitation).where(Invitation.token_hash == token_hash))


def find_by_ref(session: Session, ref: str, lock: bool = False) -> Invitation | None:
    """The invitation with this reference; with `lock`, its row is locked until the transaction ends
    (PostgreSQL: SELECT … FOR UPDATE), so that one invitation's changes happen one after another
    (R12, R62). SQLite needs no row lock: its writers take turns for the whole transaction."""
    query = select(Invitation).where(Invitation.ref == ref)
    if lock:
        query = query.with_for_update(of=Invitation).execution_options(populate_existing=True)
    return session.scalar(query)


def open_invitation(invitation: Invitation, now: datetime) -> None:
    """The patient has opened the link: record the first time."""
    if invitation.opened_at is None:
        invitation.opened_at = now
    if invitation.state == SCHEDULED:
        transition(invitation, OPENED, now)
