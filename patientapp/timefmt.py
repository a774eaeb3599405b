"""How an appointment's time reads in the patient's language and the clinic's time zone: one date
format and one time format per language, used by the page, the waiting room, the letter and the SMS
alike (docs/translation.md says why these)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

# The 24-hour clock in every language: patients in Norway read it on every clock, bus and letter, and
# a 12-hour marker ("GD", "م") was unknown to many readers and broke across lines in right-to-left text.
TIME_PATTERN = "HH:mm"
# The weekday, day, month name and year (CLDR's "full" date), except where CLDR's order is not how
# the language's readers here write it.
DATE_PATTERNS = {"so": "EEEE, d MMMM y"}


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
    """A calendar day as everything the patient reads writes it in that language."""
    return format_date(value, DATE_PATTERNS.get(locale.split("_")[0], "full"), locale=locale)


def wall_clock(local: datetime, locale: str) -> str:
    """A local time of day, "14:30", in every language (Western digits, as Babel writes them)."""
    return format_time(local, TIME_PATTERN, locale=locale)


def local_day_and_time(moment: datetime, tz_name: str, locale: str) -> tuple[str, str]:
    """A moment's day and time on the clinic's wall clock, DST included (R65)."""
    local = moment.astimezone(ZoneInfo(tz_name))
    return day(local.date(), locale), wall_clock(local, locale)


def midnight_utc(day: date, tz_name: str) -> datetime:
    """When a calendar day begins on the clinic's wall clock, in UTC: where a day's appointments start."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz_name)).astimezone(UTC)

