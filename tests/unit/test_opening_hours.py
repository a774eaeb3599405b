"""A drop-in queue's opening hours (opening_hours.py): weekly periods on the clinic's clock, closed
dates, and the two nights a year the clocks change."""
from datetime import UTC, date, datetime, time

import pytest

from patientapp import opening_hours as hours
from patientapp.queue_estimate import Estimate, estimate

OSLO = "Europe/Oslo"
WEDNESDAY = hours.period("wed", "13:00", "15:00")


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_period_is_read_and_checked():
    assert hours.Period(2, time(13), time(15)) == WEDNESDAY
    assert WEDNESDAY.as_dict() == {"day": "wed", "start": "13:00", "end": "15:00"}
    for day, start, end, reason in (("wednesday", "13:00", "15:00", "weekday"), ("wed", "1300", "15:00", "time"),
                                    ("wed", "25:00", "26:00", "time"), ("wed", "15:00", "13:00", "order"),
                                    ("wed", "13:00", "13:00", "order"), ("wed", None, "13:00", "time")):
        with pytest.raises(hours.InvalidHours) as refused:
            hours.period(day, start, end)
        assert refused.value.reason == reason
    with pytest.raises(hours.InvalidHours) as refused:
        hours.week([WEDNESDAY, hours.period("wed", "14:30", "16:00")])
    assert refused.value.reason == "overlap"
    with pytest.raises(hours.InvalidHours):
        hours.week([hours.period(day, f"{h:02d}:00", f"{h:02d}:30") for day in hours.WEEKDAYS for h in (8, 9, 10)])
    # Back to back is not an overlap; the stored form reads back; a broken stored form is no hours.
    two = hours.week([hours.period("wed", "15:00", "16:00"), WEDNESDAY])
    assert hours.from_stored([p.as_dict() for p in two]) == two
    assert hours.from_stored([{"day": "wed", "start": "x"}]) == () and hours.from_stored("wed") == ()
    assert hours.closed_dates(["2026-12-24", "not a date", 7]) == {date(2026, 12, 24)}


def test_open_now_and_next_in_winter_and_summer_time():
    week = (WEDNESDAY,)
    # Wednesday 2 December 2026, winter time (UTC+1): 13:00 in Oslo is 12:00 UTC.
    assert hours.current(week, frozenset(), OSLO, _utc(2026, 12, 2, 12, 30)) == hours.Opening(
        _utc(2026, 12, 2, 12), _utc(2026, 12, 2, 14))
    assert hours.current(week, frozenset(), OSLO, _utc(2026, 12, 2, 14)) is None  # the end is not open
    assert hours.next_opening(week, frozenset(), OSLO, _utc(2026, 12, 2, 14)).starts_at == _utc(2026, 12, 9, 12)
    # In summer (UTC+2) the same 13:00 on the clock is 11:00 UTC.
    assert hours.next_opening(week, frozenset(), OSLO, _utc(2026, 6, 1)).starts_at == _utc(2026, 6, 3, 11)
    # A closed date skips that week; nothing within the look-ahead: no next opening.
    closed = frozenset({date(2026, 12, 9)})
    assert hours.next_opening(week, closed, OSLO, _utc(2026, 12, 2, 14)).starts_at == _utc(2026, 12, 16, 12)
    assert hours.next_opening((), frozenset(), OSLO, _utc(2026, 12, 2)) is None


def test_the_nights_the_clocks_change():
    # Sunday 29 March 2026: at 02:00 the clocks jump to 03:00 (01:00 UTC). A period 01:30-02:30 ends
    # when the clocks jump over 02:30; one 02:15-02:45 does not happen that night.
    spring = [hours.period("sun", "01:30", "02:30"), hours.period("sun", "02:15", "02:45")]
    found = hours.openings(spring[:1], frozenset(), OSLO, date(2026, 3, 29), 1)
    assert found == [hours.Opening(_utc(2026, 3, 29, 0, 30), _utc(2026, 3, 29, 1))]
    assert hours.openings(spring[1:], frozenset(), OSLO, date(2026, 3, 29), 1) == []
    # Sunday 25 October 2026: 02:00-03:00 is shown twice; 02:30 is taken the first time (00:30 UTC), so
    # 02:30-03:30 lasts two hours of real time that night, as the clock on the wall says it would not.
    autumn = [hours.period("sun", "02:30", "03:30")]
    assert hours.openings(autumn, frozenset(), OSLO, date(2026, 10, 25), 1) == [
        hours.Opening(_utc(2026, 10, 25, 0, 30), _utc(2026, 10, 25, 2, 30))]
    # Open across the change, the queue stays open: 01:00-04:00 in spring is two hours long.
    across = [hours.period("sun", "01:00", "04:00")]
    assert hours.current(across, frozenset(), OSLO, _utc(2026, 3, 29, 1, 30)) == hours.Opening(
        _utc(2026, 3, 29, 0), _utc(2026, 3, 29, 2))


def test_the_estimate_is_a_range_from_this_queues_consultations_or_none():
    assert estimate([600] * 10, people_before=0) is None  # next: nothing to estimate
    assert estimate([600] * 4, people_before=3) is None  # too little to go by
    # Ten-minute consultations: two people ahead wait about 20 minutes, said as 20-25.
    assert estimate([600] * 10, people_before=2) == Estimate(20, 25)
    # Spread consultations widen the range; two clinicians halve it.
    spread = [300, 420, 600, 720, 900, 1200, 1500, 480, 540, 660]
    one = estimate(spread, people_before=3)
    assert one.low_minutes < one.high_minutes and one.low_minutes % 5 == 0 and one.high_minutes % 5 == 0
    two = estimate(spread, people_before=3, serving=2)
    assert two.high_minutes <= one.high_minutes / 2 + 5
    # Only the newest thirty count; zero-length ones (a call that never started) are left out.
    assert estimate([600] * 30 + [6000] * 30, people_before=1) == Estimate(10, 15)
    assert estimate([0] * 10 + [600] * 4, people_before=1) is None
