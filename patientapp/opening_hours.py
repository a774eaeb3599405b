"""A drop-in queue's opening hours (issue 17): weekly periods in the clinic's time zone, closed dates.
No Flask, no database: plain values in, moments out.

A period is a weekday and two wall-clock times ("Wednesday 13:00-15:00"). Its moments are worked out
for each date in the clinic's zone, so that the hours stay at 13:00 on the clock through summer and
winter time. On the two nights a year the clocks change, a period may start or end in a time the
clocks skip (spring) or show twice (autumn): a start that does not exist opens when the clocks
reach it, an end that does not exist closes then too, and a time shown twice is taken the first
time it is shown (the earlier moment), so that a period is never longer than it looks on the clock.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import invitations

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A queue's week holds at most this many periods (two a day, every day).
MAX_PERIODS = 14
# How far ahead "opens next" looks: a queue closed for longer says only that it is closed.
LOOK_AHEAD_DAYS = 60
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


class InvalidHours(ValueError):
    """Opening hours that cannot be kept: `reason` says which rule they break."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "weekday", "time", "order", "overlap", "too-many", "date"


@dataclass(frozen=True, order=True)
class Period:
    weekday: int  # 0 = Monday, as date.weekday()
    start: time
    end: time

    def as_dict(self) -> dict:
        return {"day": WEEKDAYS[self.weekday], "start": f"{self.start:%H:%M}", "end": f"{self.end:%H:%M}"}


def parse_clock(text: object) -> time:
    if not isinstance(text, str) or not _CLOCK.fullmatch(text.strip()):
        raise InvalidHours("time")
    hours, minutes = text.strip().split(":")
    return time(int(hours), int(minutes))


def period(day: object, start: object, end: object) -> Period:
    """One weekly period from what an administrator typed or stored; InvalidHours if it is not one."""
    if not isinstance(day, str) or day not in WEEKDAYS:
        raise InvalidHours("weekday")
    begins, ends = parse_clock(start), parse_clock(end)
    if ends <= begins:
        raise InvalidHours("order")  # a period ends on the day it starts: 22:00-02:00 is two periods
    return Period(WEEKDAYS.index(day), begins, ends)


def week(periods: Iterable[Period]) -> tuple[Period, ...]:
    """The periods in order, refusing overlaps on one day and more than MAX_PERIODS."""
    ordered = tuple(sorted(periods))
    if len(ordered) > MAX_PERIODS:
        raise InvalidHours("too-many")
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.weekday == after.weekday and after.start < before.end:
            raise InvalidHours("overlap")
    return ordered


def from_stored(stored: object) -> tuple[Period, ...]:
    """The week as kept in the database (a list of {"day", "start", "end"}); nothing if it is broken."""
    if not isinstance(stored, list):
        return ()
    try:
        return week(period(item.get("day"), item.get("start"), item.get("end")) for item in stored
                    if isinstance(item, dict))
    except InvalidHours:
        return ()


def closed_dates(stored: object) -> frozenset[date]:
    """The dates the queue is closed whatever the week says (holidays), from ISO strings."""
    dates = set()
    for item in stored if isinstance(stored, list) else ():
        try:
            dates.add(date.fromisoformat(item))
        except (TypeError, ValueError):
            continue
    return frozenset(dates)


def _moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC moment a wall-clock time is first shown on `day`; a skipped time: when the clocks reach it."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0)
    back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != wall:  # in the spring gap: the moment the clocks jump over it
        second = wall.replace(tzinfo=zone, fold=1)
        low, high = sorted([first.astimezone(UTC), second.astimezone(UTC)])
        return invitations.transition_between(low, high, zone)
    return first.astimezone(UTC)


@dataclass(frozen=True)
class Opening:
    """One opening: when it starts and ends (UTC)."""

    starts_at: datetime
    ends_at: datetime


def openings(periods: Iterable[Period], closed: frozenset[date], time_zone: str, start: date,
             days: int) -> list[Opening]:
    """Every opening on the `days` dates from `start` (in the clinic's zone), in order."""
    zone = ZoneInfo(time_zone)
    by_day: dict[int, list[Period]] = {}
    for item in periods:
        by_day.setdefault(item.weekday, []).append(item)
    found = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day in closed:
            continue
        for item in by_day.get(day.weekday(), ()):
            begins, ends = _moment(day, item.start, zone), _moment(day, item.end, zone)
            if ends > begins:  # a period wholly inside a skipped hour does not happen that night
                found.append(Opening(begins, ends))
    return sorted(found, key=lambda opening: opening.starts_at)


def current(periods: Iterable[Period], closed: frozenset[date], time_zone: str, now: datetime) -> Opening | None:
    """The opening under way at `now`, if any."""
    today = now.astimezone(ZoneInfo(time_zone)).date()
    for opening in openings(periods, closed, time_zone, today - timedelta(days=1), 2):
        if opening.starts_at <= now < opening.ends_at:
            return opening
    return None


def next_opening(periods: Iterable[Period], closed: frozenset[date], time_zone: str,
                 now: datetime) -> Opening | None:
    """The next opening that starts after `now`, within LOOK_AHEAD_DAYS; None if there is none."""
    today = now.astimezone(ZoneInfo(time_zone)).date()
    for opening in openings(periods, closed, time_zone, today, LOOK_AHEAD_DAYS + 1):
        if opening.starts_at > now:
            return opening
    return None
