"""The invitation's life: creation, the link's window and the state machine. No Flask here."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from . import links
from .models import Clinic, Invitation, InvitationLink, utcnow

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
    # Back to "opened" when staff replace the link of someone let in (a wrong number).
    ADMITTED: frozenset({COMPLETED, KNOCKING, OPENED, WITHDRAWN, CANCELLED, EXPIRED}),
    COMPLETED: frozenset({EXPIRED}),
    WITHDRAWN: frozenset({EXPIRED}),
    CANCELLED: frozenset(),
    EXPIRED: frozenset(),
}

# What staff may do to an invitation, and in which states. The appointment is still ahead or under
# way; once it is completed, withdrawn, cancelled or expired, nothing of it can be changed.
LIVE_STATES = frozenset({SCHEDULED, OPENED, KNOCKING, ADMITTED})
STAFF_ACTIONS: dict[str, frozenset[str]] = {
    "reschedule": LIVE_STATES,
    "another-link": LIVE_STATES,
    "replace-link": LIVE_STATES,
    "cancel": LIVE_STATES,
    "add-participant": LIVE_STATES,
    "remove": LIVE_STATES,
}
# A participant's invitation follows the patient's appointment: it is moved, cancelled and joined
# through the patient's; a participant is removed instead, the patient never (participants.py).
PATIENT_ONLY_ACTIONS = frozenset({"reschedule", "cancel", "add-participant"})
# Links that work at once for one invitation: enough for an SMS, a letter and a few resends.
MAX_LINKS = 10

MAX_LABEL_LENGTH = 20
# An appointment lasts this many minutes at the least and the most (the clinic's usual one too).
MIN_DURATION, MAX_DURATION = 5, 240
# Separators people put inside a national ID number ("010190 12345", "01.01.90-12345"): removed between
# digits before looking for eleven in a row, so that only the digits decide.
_DIGIT_SEPARATORS = re.compile(r"(?<=\d)[\s.,:;/_\-\u2010-\u2015]+(?=\d)")
_ELEVEN_DIGITS = re.compile(r"\d{11}", re.ASCII)
DEFAULT_HORIZON = timedelta(days=365)


class InvalidTransition(ValueError):
    pass


class InvalidInvitation(ValueError):
    pass


class TooManyLinks(InvalidTransition):
    """Another link was asked for while MAX_LINKS work already: replace them instead."""


class OutOfRange(InvalidInvitation):
    """The appointment is before today or further ahead than the clinic's horizon."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "past", "ended" or "too-far"


class AmbiguousLocalTime(InvalidInvitation):
    """A wall-clock time the clinic's clocks skip (spring) or show twice (autumn), so that it is not
    one moment (R65). `start` and `end` are the naive local times of the skipped or repeated span."""

    def __init__(self, kind: str, start: datetime, end: datetime):
        super().__init__(f"{kind} {start:%H:%M}-{end:%H:%M}")
        self.kind = kind  # "gap" or "repeated"
        self.start, self.end = start, end


def transition_between(first: datetime, last: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant in [first, last] where `zone`'s offset changes (to the minute)."""
    low, high = first, last
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
            low = middle
        else:
            high = middle
    return high.replace(second=0, microsecond=0)


def local_to_utc(day: date, at: time, time_zone: str) -> datetime:
    """The UTC moment of a wall-clock time in the clinic's zone; AmbiguousLocalTime for a time the
    clocks skip or show twice, instead of zoneinfo's silent guess (an SMS saying 03:30 for 02:30)."""
    zone = ZoneInfo(time_zone)
    wall = datetime.combine(day, at)
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    moments = sorted([first.astimezone(UTC), second.astimezone(UTC)])
    change = transition_between(moments[0], moments[1], zone)
    offsets = sorted([first.utcoffset(), second.utcoffset()])
    start, end = (change + offsets[0]).replace(tzinfo=None), (change + offsets[1]).replace(tzinfo=None)
    # In a gap the wall time maps back to another wall time; a repeated one maps back to itself.
    kind = "repeated" if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall else "gap"
    raise AmbiguousLocalTime(kind, start, end)


def check_schedule(starts_at: datetime, ends_at: datetime, time_zone: str, now: datetime,
                   horizon: timedelta = DEFAULT_HORIZON) -> None:
    """Refuse an appointment before today (in the clinic's zone), already over, or beyond the horizon:
    a link that works for years is never purged, and a year 9999 overflows the arithmetic."""
    check_day(starts_at.astimezone(ZoneInfo(time_zone)).date(), time_zone, now, horizon)
    if ends_at < now:
        raise OutOfRange("ended")
    if starts_at > now + horizon:
        raise OutOfRange("too-far")


def check_day(day: date, time_zone: str, now: datetime, horizon: timedelta = DEFAULT_HORIZON) -> None:
    """The appointment's local date is today or later, and within the horizon. Checked before any
    arithmetic on it: year 1 or 9999 would overflow on the way to UTC."""
    today = now.astimezone(ZoneInfo(time_zone)).date()
    if day < today:
        raise OutOfRange("past")
    if day > today + horizon:
        raise OutOfRange("too-far")


@dataclass(frozen=True)
class Window:
    """When a link works: from creation until the end plus the grace period (R3)."""

    grace: timedelta

    def is_open(self, invitation: Invitation, now: datetime) -> bool:
        return invitation.state not in DEAD_STATES and now <= self.closes_at(invitation)

    def closes_at(self, invitation: Invitation) -> datetime:
        """The last moment the link works, unless its state ends it sooner."""
        return invitation.ends_at + self.grace


def looks_like_national_id(label: str) -> bool:
    """Does a staff label hold a Norwegian national ID number (fødselsnummer) or D-number: eleven digits,
    however they are spaced or punctuated (R52)? A short reference such as "AB 12" does not."""
    digits = "".join(str(unicodedata.digit(c)) if c.isdigit() and unicodedata.digit(c, None) is not None else c
                     for c in label)  # "٠١٠١٩٠…" in another script is the same number
    return bool(_ELEVEN_DIGITS.search(_DIGIT_SEPARATORS.sub("", digits)))


def allowed(invitation: Invitation, action: str) -> bool:
    """May staff do `action` (one of STAFF_ACTIONS) to this invitation now?"""
    participant = invitation.party_id is not None
    if (participant and action in PATIENT_ONLY_ACTIONS) or (not participant and action == "remove"):
        return False
    return invitation.state in STAFF_ACTIONS[action]


def _require(invitation: Invitation, action: str) -> None:
    if not allowed(invitation, action):
        raise InvalidTransition(f"{action} in {invitation.state}")


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
    room_ref: str | None = None,
    now: datetime | None = None,
    horizon: timedelta = DEFAULT_HORIZON,
    code_key: str | None = None,
) -> tuple[Invitation, str]:
    """Create an invitation and return it with its link token: the only time the token exists.

    With `now`, the appointment must lie between today and the horizon (staff creating one); without
    it, any time is taken (the demo and tests make invitations in the past)."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInvitation("times must be time-zone aware")
    if ends_at <= starts_at:
        raise InvalidInvitation("the appointment must end after it starts")
    if now is not None:
        check_schedule(starts_at, ends_at, clinic.time_zone, now, horizon)
    if languages and language not in languages:
        raise InvalidInvitation("unknown language")
    check_staff_text(label)
    invitation = Invitation(
        ref=links.new_ref(),
        clinic=clinic,
        starts_at=starts_at,
        ends_at=ends_at,
        language=language,
        label=label or None,
        room_ref=room_ref or None,
        state=SCHEDULED,
    )
    session.add(invitation)
    token = _add_link(invitation, now or utcnow(), code_key)
    session.flush()
    return invitation, token


def _add_link(invitation: Invitation, now: datetime, code_key: str | None) -> str:
    """A new link token; with `code_key` (the app's secret) its typeable code works too (links.code_of).
    A token whose code a working link already has is drawn again (1 in 10^9 at a million links)."""
    session = object_session(invitation)
    while True:
        token = links.new_token()
        digest = links.code_digest(code_key, links.code_of(token)) if code_key else None
        if digest is None or session is None or session.scalar(
                select(InvitationLink.id).where(InvitationLink.code_digest == digest)) is None:
            break
    invitation.link_tokens.append(InvitationLink(token_hash=links.hash_token(token), code_digest=digest,
                                                 created_at=now))
    return token


def find_by_code(session: Session, code: str, code_key: str) -> Invitation | None:
    """Look an invitation up by the typeable code of one of its links (as links.normalise_code reads it)."""
    digest = links.code_digest(code_key, code)
    return session.scalar(select(Invitation).join(InvitationLink).where(InvitationLink.code_digest == digest))


def find_by_token(session: Session, token: str) -> Invitation | None:
    """Look an invitation up by one of its link tokens' hashes. Malformed tokens still cost one query (R4)."""
    token_hash = links.hash_token(token if links.looks_like_token(token) else "!" + token)
    return session.scalar(select(Invitation).join(InvitationLink).where(InvitationLink.token_hash == token_hash))


def has_link(invitation: Invitation, token: str | None) -> bool:
    """Is `token` one of the invitation's working links? (Staff pages carry it back for the SMS and letter.)"""
    if not token or not links.looks_like_token(token):
        return False
    return any(link.token_hash == links.hash_token(token) for link in invitation.link_tokens)


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


def check_staff_text(text: str | None, max_length: int = MAX_LABEL_LENGTH, what: str = "label") -> None:
    """A short text staff type about someone (the label, a participant's name in the call): within
    `max_length`, and never a national ID number (R52)."""
    if text is not None and len(text) > max_length:
        raise InvalidInvitation(f"{what} too long")
    if text and looks_like_national_id(text):
        raise InvalidInvitation(f"a national ID number in the {what}")


def reschedule(invitation: Invitation, starts_at: datetime, ends_at: datetime, language: str, label: str | None,
               room_ref: str | None, now: datetime, horizon: timedelta = DEFAULT_HORIZON) -> None:
    """Move the appointment or change its room, language or label; the link stays the same."""
    _require(invitation, "reschedule")
    if ends_at <= starts_at:
        raise InvalidInvitation("the appointment must end after it starts")
    check_staff_text(label)
    check_schedule(starts_at, ends_at, invitation.clinic.time_zone, now, horizon)
    invitation.starts_at, invitation.ends_at = starts_at, ends_at
    invitation.language, invitation.label, invitation.room_ref = language, label or None, room_ref or None
    invitation.updated_at = now
    from . import participants  # participants build on this module

    participants.follow(invitation, now)


def cancel(session: Session, invitation: Invitation, now: datetime) -> None:
    """The clinic cancels: the link stops working at once (R3); a knock waiting or let in ends. The
    participants' invitations end with the patient's (participants.py)."""
    from . import knocks, participants  # both build on this module

    _require(invitation, "cancel")
    knocks.close_active(session, invitation, now)
    transition(invitation, CANCELLED, now)
    participants.end_with(session, invitation, now)


def replace_link(session: Session, invitation: Invitation, now: datetime, code_key: str | None = None) -> str:
    """A new link token for a link sent to the wrong number: the old token, every patient session and
    every signed QR or calendar link made before stop working (R3, R22); returns the new token."""
    from . import knocks

    _require(invitation, "replace-link")
    knocks.close_active(session, invitation, now)
    if invitation.state in (KNOCKING, ADMITTED):
        transition(invitation, OPENED, now)
    invitation.link_tokens.clear()
    session.flush()  # the old rows go before the new one comes
    invitation.link_generation = (invitation.link_generation or 1) + 1
    invitation.updated_at = now
    return _add_link(invitation, now, code_key)


def another_link(invitation: Invitation, now: datetime, code_key: str | None = None) -> str:
    """One more link for a patient who lost theirs: every link made before keeps working (the letter
    already posted, the calendar entry); returns the new token."""
    _require(invitation, "another-link")
    if len(invitation.link_tokens) >= MAX_LINKS:
        raise TooManyLinks(f"{len(invitation.link_tokens)} links")
    invitation.updated_at = now
    return _add_link(invitation, now, code_key)
