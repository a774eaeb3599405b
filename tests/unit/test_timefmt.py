from datetime import UTC, datetime, timedelta

import pytest

from patientapp.timefmt import describe

UTC = UTC


def test_today_and_tomorrow_are_judged_in_oslo_time():
    now = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)  # 23:30 in Oslo
    start = datetime(2026, 11, 23, 23, 15, tzinfo=UTC)  # 00:15 next day in Oslo
    shown = describe(start, start + timedelta(minutes=30), "Europe/Oslo", "nb", now)
    assert shown.relative_day == "tomorrow"
    assert shown.start == "00:15"
    assert describe(now, now, "Europe/Oslo", "nb", now).relative_day == "today"
    assert describe(now + timedelta(days=3), now + timedelta(days=3), "Europe/Oslo", "nb", now).relative_day is None


@pytest.mark.parametrize("locale, expected_date, expected_time", [
    ("nb", "mandag 23. november 2026", "14:30"),
    ("en_GB", "Monday, 23 November 2026", "14:30"),
    ("pl", "poniedziałek, 23 listopada 2026", "14:30"),
])
def test_formats_follow_the_locale(locale, expected_date, expected_time):
    start = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
    shown = describe(start, start + timedelta(minutes=30), "Europe/Oslo", locale, start)
    assert shown.date == expected_date
    assert shown.start == expected_time and shown.end == "15:00"


@pytest.mark.parametrize("start_utc, local", [
    # Last Sunday of March: clocks go 02:00 -> 03:00 (UTC+1 -> UTC+2).
    (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "01:30"),
    (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "03:30"),
    # Last Sunday of October: clocks go 03:00 -> 02:00 (UTC+2 -> UTC+1).
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "02:30"),
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "02:30"),
    (datetime(2026, 10, 25, 2, 30, tzinfo=UTC), "03:30"),
])
def test_daylight_saving_changes(start_utc, local):
    assert describe(start_utc, start_utc, "Europe/Oslo", "nb", start_utc).start == local
