"""What the dashboard shows: today's invitations as plain rows, with translated words, for the
template and for the script that refreshes it."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, lazyload

from .. import equipment_check, i18n, invitations, knocks, participants, role_words, rooms, timefmt
from ..models import Clinic, Invitation, Knock

STALE_AFTER = timedelta(seconds=20)  # a waiting patient not heard from in this long may have lost the page
# A board with no news of its clinic is still built again after this long: the waits, "last seen" and
# the lapses move on with the clock alone.
REBUILD_AFTER_SECONDS = 15.0


# An invitation's state as staff read it: the dashboard's word when no knock says more, and the
# invitations list's filter.
BY_INVITATION = {
    invitations.SCHEDULED: ("invited", lambda: _("Invited")),
    invitations.OPENED: ("opened", lambda: _("Opened the link")),
    invitations.KNOCKING: ("knocking", lambda: _("Knocking")),
    invitations.ADMITTED: ("admitted", lambda: pgettext("status", "Let in")),
    invitations.COMPLETED: ("completed", lambda: pgettext("status", "Done")),
    invitations.WITHDRAWN: ("withdrawn", lambda: _("Withdrew consent")),
    invitations.CANCELLED: ("cancelled", lambda: _("Cancelled")),
    invitations.EXPIRED: ("expired", lambda: _("Expired")),
}

# A knock's state: the machine state for styling and the word for people (translated when asked for:
# the dashboard asks for 50 rows every 3 s, and translating five words for each row to use one showed).
BY_KNOCK = {
    knocks.WAITING: BY_INVITATION[invitations.KNOCKING],
    knocks.ADMITTED: BY_INVITATION[invitations.ADMITTED],
    knocks.LAPSED: ("lapsed", lambda: _("Knock lapsed")),
    knocks.DENIED: ("denied", lambda: _("Not let in")),
    knocks.ENDED: BY_INVITATION[invitations.COMPLETED],
}


def _words() -> dict[str, str]:
    """Every word a row's state and checks may need, in the current language, worked out once per
    language and process: a board of 100 rows asked for them 2,000 times a second (translations do not
    change while the app runs)."""
    lang = i18n.current().code
    words = _WORDS.get(lang)
    if words is None:
        words = {f"state:{state}": word() for state, (_style, word) in BY_INVITATION.items()}
        words.update({f"knock:{state}": word() for state, (_style, word) in BY_KNOCK.items()})
        words.update({
            "rejoin": _("Knocking again (was let in)"), "checked": _("Checked equipment"),
            "check:browser": _("browser"), "check:camera": _("camera"), "check:microphone": _("microphone"),
            "check:speaker": _("sound"), "check:light": _("light"), "check:network": _("connection"),
            "check:battery": _("battery"), "result:ok": _("ok"), "result:warn": _("advice"),
            "result:fail": _("problem"), "result:pending": _("not checked"),
        })
        _WORDS[lang] = words
    return words


_WORDS: dict[str, dict[str, str]] = {}


def state_label(invitation: Invitation, knock: Knock | None) -> tuple[str, str]:
    """A machine state for styling and a word for people."""
    words = _words()
    if invitation.state in (invitations.WITHDRAWN, invitations.CANCELLED):
        return BY_INVITATION[invitation.state][0], words[f"state:{invitation.state}"]
    if knock is not None and knock.state == knocks.WAITING and knock.rejoin:
        return "knocking", words["rejoin"]
    if knock is not None and knock.state in BY_KNOCK:
        return BY_KNOCK[knock.state][0], words[f"knock:{knock.state}"]
    if invitation.check_summary:
        return "checked", words["checked"]
    shown = (invitations.OPENED, invitations.COMPLETED)
    state = invitation.state if invitation.state in shown else invitations.SCHEDULED
    return BY_INVITATION[state][0], words[f"state:{state}"]


def check_items(summary: dict | None) -> list[dict]:
    """Each check the patient ran: its name, its result ("ok", "warn", "fail", "pending") and the two
    as words, for a small icon with a text alternative."""
    if not summary:
        return []
    words = _words()
    return [{"name": c, "status": summary[c], "text": f"{words['check:' + c]}: {words['result:' + summary[c]]}"}
            for c in equipment_check.CHECKS if c in summary]


def check_text(summary: dict | None) -> str:
    return ", ".join(item["text"] for item in check_items(summary))


def state_filter_words() -> dict[str, str]:
    """The invitation states as the invitations list offers them for filtering."""
    return {state: word() for state, (_style, word) in BY_INVITATION.items()}


# The preset messages staff can send; the patient's page shows each in the patient's language.
MESSAGES = ("late-5", "late-10", "late-15", "will-call")


def row_words() -> dict:
    """The words of the rows' buttons and preset messages, in the staff member's language."""
    return {
        "actions": {"admit": pgettext("button", "Let in"), "deny": _("Not now"), "end": pgettext("button", "Done"),
                    "admit-all": _("Let everyone in")},
        "messages": {"late-5": _("About 5 minutes late"), "late-10": _("About 10 minutes late"),
                     "late-15": _("About 15 minutes late"), "will-call": _("We will call you")},
    }


@dataclass
class Row:
    invitation_id: int
    label: str
    time: str
    language: str
    state: str
    state_label: str
    check: str
    check_overall: str
    checks: list[dict] = field(default_factory=list)
    knock_id: int | None = None
    waiting_seconds: int | None = None
    lapses_in: int | None = None
    stale: bool = False
    message: str | None = None
    handoff_failed: bool = False
    url: str = ""
    actions: list[str] = field(default_factory=list)
    role: str = participants.PATIENT
    role_name: str = ""  # a participant's role in words; empty for the patient
    # The participants of the patient's appointment, each a row of their own shown inside this one.
    party: list[Row] = field(default_factory=list)

    @property
    def knocking_in_party(self) -> int:
        """How many of the appointment are knocking: "Let everyone in" shows from two."""
        return sum(member.state == "knocking" for member in [self, *self.party])

    @property
    def longest_wait(self) -> int:
        return max((member.waiting_seconds or 0) for member in [self, *self.party])


_ANY_ID = 987654321  # stands for an invitation's id in its page's address, made once per board


def row(invitation: Invitation, knock: Knock | None, now: datetime, address: str | None = None) -> Row:
    """`address`: the invitation page's address with _ANY_ID for the id (a board works it out once)."""
    state, label = state_label(invitation, knock)
    tz = ZoneInfo(invitation.clinic.time_zone)
    start, end = invitation.starts_at.astimezone(tz), invitation.ends_at.astimezone(tz)
    checks = check_items(invitation.check_summary)
    address = address or url_for("staff.invitation", invitation_id=_ANY_ID)
    result = Row(invitation_id=invitation.id, label=invitation.label or "–",
                 time=f"{start:%H:%M}–{end:%H:%M}", language=i18n.LANGUAGES[invitation.language].name,
                 state=state, state_label=label, check=", ".join(item["text"] for item in checks), checks=checks,
                 check_overall=equipment_check.overall(invitation.check_summary) if invitation.check_summary else "",
                 # A participant is managed on the appointment's page, the patient's.
                 url=address.replace(str(_ANY_ID), str(invitation.party_id or invitation.id)))
    if invitation.role != participants.PATIENT:
        result.role, result.role_name = invitation.role, role_words.role_name(invitation.role)
    if knock is not None:
        result.knock_id = knock.id
        result.message = knock.message
        result.handoff_failed = knock.handoff_failed_at is not None and knock.state == knocks.ADMITTED
        if knock.state == knocks.WAITING:
            result.waiting_seconds = int((now - knock.created_at).total_seconds())
            result.lapses_in = max(0, int((knock.lapses_at - now).total_seconds()))
            result.stale = now - knock.last_seen_at > STALE_AFTER
            result.actions = ["admit", "deny", "message"]
        elif knock.state == knocks.ADMITTED:
            result.actions = ["end"]
    return result


def row_key(row: Row) -> tuple:
    """Everything a row's HTML shows (staff/_dashboard-row.html), and nothing that changes more often:
    the minutes waited, not the seconds; the lapse countdown is not shown."""
    minutes = None if row.waiting_seconds is None else row.waiting_seconds // 60
    return (row.invitation_id, row.label, row.time, row.language, row.state, row.state_label, row.check,
            row.check_overall, tuple(tuple(sorted(item.items())) for item in row.checks), row.knock_id,
            minutes, row.stale, row.message, row.handoff_failed, row.url, tuple(row.actions), row.role,
            tuple(row_key(member) for member in row.party))


def row_html(row: Row) -> Markup:
    """A row's HTML, rendered once per row_key and language and kept (page_cache.py): a dashboard
    refreshes every few seconds, and most of its rows have not changed since the last time."""
    return current_app.extensions["patientapp.fragments"].fragment(
        "staff/_dashboard-row.html", row_key(row), lambda: {"row": row, "words": row_words()})


@dataclass
class Board:
    rows: list[Row]
    knocking: int
    handoff_failures: list[Row]
    room_warnings: list[str]


def build(db: Session, clinic: Clinic, now: datetime) -> Board:
    """Today's invitations in the clinic's time zone, and any with a live knock."""
    today = now.astimezone(ZoneInfo(clinic.time_zone)).date()
    day_start, day_end = (timefmt.midnight_utc(today, clinic.time_zone),
                          timefmt.midnight_utc(today + timedelta(days=1), clinic.time_zone))
    live = select(Knock.invitation_id).where(Knock.state.in_(knocks.ACTIVE))
    # A participant's live knock brings their appointment onto the board, shown in the patient's row.
    live_party = select(Invitation.party_id).where(Invitation.id.in_(live), Invitation.party_id.is_not(None))
    # The clinic is the signed-in staff member's, already loaded: not joined again to every row (its
    # room settings, a JSON document, were decoded once per row).
    query = (select(Invitation).options(lazyload(Invitation.clinic))
             .where(Invitation.clinic_id == clinic.id, Invitation.party_id.is_(None),
                    or_(Invitation.starts_at.between(day_start, day_end), Invitation.id.in_(live),
                        Invitation.id.in_(live_party)))
             .order_by(Invitation.starts_at))
    shown, members, latest = _read(db, query)
    if knocks.record_lapses(db, latest.values(), now):
        # The lapses were written in their own transaction, whose start expired what was read.
        shown, members, latest = _read(db, query)
    address = url_for("staff.invitation", invitation_id=_ANY_ID)
    rows = []
    for invitation in shown:
        appointment_row = row(invitation, latest.get(invitation.id), now, address)
        appointment_row.party = [row(member, latest.get(member.id), now, address)
                                 for member in members.get(invitation.id, ())]
        rows.append(appointment_row)
    # Knocking first, longest waiting on top; then the day in order of time (the sort is stable).
    rows.sort(key=lambda r: (r.knocking_in_party == 0, -r.longest_wait))
    warnings = []
    for room in rooms.clinic_rooms(clinic.room_settings):
        if "pexip-not-autolock" in rooms.warnings(room):
            warnings.append(_("The room “%(room)s” does not lock itself (autolås). "
                              "Ask NHN to make it a sensitive room.",
                              room=room.get("label") or room.get("key")))
    everyone = [member for r in rows for member in [r, *r.party]]
    return Board(rows=rows, knocking=sum(r.state == "knocking" for r in everyone),
                 handoff_failures=[r for r in everyone if r.handoff_failed], room_warnings=warnings)


def _read(db: Session, query) -> tuple[list[Invitation], dict[int, list[Invitation]], dict[int, Knock]]:
    """The appointments, their participants whose invitations still work (by the patient's id), and
    everyone's latest knock."""
    shown = db.scalars(query).all()
    members: dict[int, list[Invitation]] = {}
    if shown:
        found = db.scalars(select(Invitation).options(lazyload(Invitation.clinic))
                           .where(Invitation.party_id.in_([invitation.id for invitation in shown]),
                                  Invitation.state.not_in(invitations.DEAD_STATES))
                           .order_by(Invitation.id))
        for member in found:
            members.setdefault(member.party_id, []).append(member)
    ids = [invitation.id for invitation in shown] + [m.id for group in members.values() for m in group]
    return shown, members, knocks.latest_knocks(db, ids)


def as_of() -> str:
    """The moment a board is read, as the script sends it back (`unchanged_since`): wall-clock time,
    which every process of every instance shares."""
    return f"{time.time():.3f}"


def unchanged_since(token: str, clinic_id: int, watch, news) -> bool:
    """Is the board read at `token` (as_of) still what a new one would show? Yes only if it is recent,
    this process has heard every change since (status_news) and none of them was in this clinic."""
    try:
        read = float(token[:20])
    except ValueError:
        return False
    age = time.time() - read
    if not math.isfinite(age) or not 0 <= age < REBUILD_AFTER_SECONDS:
        return False
    moment = time.monotonic() - age
    watch.listen()  # this process hears news from now on, if it did not yet
    return news.heard_everything_since(moment) and not watch.news_since(moment, clinic_ids=(clinic_id,))


def as_json(board: Board) -> dict:
    """Everyone on the board, participants as rows of their own (the script counts knocks by person)."""
    # A row's fields are plain values: a shallow copy is enough (asdict deep-copies, 4 ms for 50 rows).
    def plain(r: Row) -> dict:
        return {key: value for key, value in vars(r).items() if key != "party"}

    return {"rows": [plain(member) for r in board.rows for member in [r, *r.party]], "knocking": board.knocking,
            "handoffFailures": [plain(r) for r in board.handoff_failures]}


def refusal_text(reason: str) -> str:
    return {
        "not-waiting": _("This patient is no longer waiting."),
        "room-busy": _("Another patient is in this video room. Finish that consultation first."),
        "not-admitted": _("This patient has not been let in."),
        "message": _("Choose one of the messages."),
    }.get(reason, _("That did not work. Reload the page and try again."))


def schedule_error_text(reason: str, horizon_days: int) -> str:
    """Why an appointment's date cannot be taken (invitations.OutOfRange)."""
    if reason == "past":
        return _("This date has passed. Choose today or a later date.")
    if reason == "ended":
        return _("The appointment has already ended. Choose a later time.")
    return ngettext("Choose a date at most %(num)d day from today.",
                    "Choose a date at most %(num)d days from today.", horizon_days)


def clock_change_text(error) -> str:
    """A local time the clocks skip or show twice (invitations.AmbiguousLocalTime), named with its span."""
    locale = i18n.current().format_locale
    values = {"date": timefmt.day(error.start.date(), locale), "start": timefmt.wall_clock(error.start, locale),
              "end": timefmt.wall_clock(error.end, locale)}
    if error.kind == "gap":
        return _("On %(date)s the clocks go forward: the times from %(start)s to %(end)s do not exist. "
                 "Choose another time.", **values)
    return _("On %(date)s the clocks go back: the times from %(start)s to %(end)s happen twice. "
             "Choose a time outside them.", **values)


def room_error_text(code: str) -> str:
    return {
        "scheme": _("The address must start with https://."),
        "host": _("This video service is not on the list of allowed services."),
        "key": _("This short name is already used, or is not valid."),
        "provider": _("Choose a video service."),
    }.get(code, _("Some of the room's details are missing or wrong."))
