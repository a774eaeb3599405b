from datetime import UTC, datetime

from patientapp import ics

UTC = UTC


def _event(**overrides):
    values = dict(uid_seed="ref", host="app.example", start=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
                  end=datetime(2026, 3, 29, 1, 0, tzinfo=UTC), summary="Videotime: Nordby, legesenter; rom",
                  description="Åpne lenken: https://app.example/d/c.abc\nTakk", url="https://app.example/d/c.abc",
                  alarm_text="Snart", now=datetime(2026, 3, 1, tzinfo=UTC))
    values.update(overrides)
    return ics.event(**values)


def test_event_is_private_utc_with_alarm():
    body = _event()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "CLASS:PRIVATE\r\n" in body
    assert "DTSTART:20260329T003000Z\r\n" in body and "DTEND:20260329T010000Z\r\n" in body
    assert "TRIGGER:-PT30M" in body
    assert "SUMMARY:Videotime: Nordby\\, legesenter\\; rom" in body
    assert "\\nTakk" in body


def test_lines_fold_at_75_octets_without_splitting_characters():
    body = _event(description="æøå " * 60)
    for line in body.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    unfolded = body.replace("\r\n ", "")
    assert "æøå " * 10 in unfolded


def test_uid_reveals_nothing():
    body = _event(uid_seed="secret-ref")
    uid = next(line for line in body.split("\r\n") if line.startswith("UID:"))
    assert "secret-ref" not in uid and uid.endswith("@app.example")
