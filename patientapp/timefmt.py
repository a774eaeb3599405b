"""How an appointment's time reads in the patient's language and the clinic's time zone."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time


@dataclass(frozen=True)
class AppointmentTime:
    relative_day: str | None  # "today", "tomorrow" or None
    date: str  # e.g. "mandag 23. november 2026"
    start: str  # e.g. "14:30"
    end: str
    iso_start: str  # for <time datetime=…>


def describe(starts_at: datetime, ends_at: datetime, tz_name: str, locale: str, now: datetime) -> AppointmentTime:
    """Format an appointment for display; 'today'/'tomorrow' is judged in the clinic's time zone."""
    tz = ZoneInfo(tz_name)
    local_start, local_end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    days_ahead = (local_start.date() - now.astimezone(tz).date()).days
    relative = {0: "today", 1: "tomorrow"}.get(days_ahead)
    return AppointmentTime(
        relative_day=relative,
        date=day(local_start.date(), locale),
        start=wall_clock(local_start, locale),
        end=wall_clock(local_end, locale),
        iso_start=local_start.isoformat(),
    )


def clock(moment: datetime, tz_name: str, locale: str) -> str:
    """A moment's wall-clock time in the clinic's zone, as the patient's language writes it."""
    return wall_clock(moment.astimezone(ZoneInfo(tz_name)), locale)


def day(value: date, locale: str) -> str:
    """A calendar day as every page writes it in that language (one format per language)."""
    return format_date(value, "full", locale=locale)


def wall_clock(local: datetime, locale: str) -> str:
    """A local time of day, e.g. "14:30", as the language writes it."""
    return format_time(local, "short", locale=locale)
