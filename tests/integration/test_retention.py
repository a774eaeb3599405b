"""`flask purge` (R54, R49) on each database: what goes when, what stays, and what the audit keeps."""
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from patientapp import audit, invitations, knocks, retention, sms
from patientapp.models import AuditEvent, Challenge, Clinic, Enrolment, Invitation, Knock, Staff, StaffSession

UTC = UTC
END = datetime(2026, 3, 29, 10, 30, tzinfo=UTC)  # an appointment 10:00-10:30 UTC (the DST Sunday)
START = END - timedelta(minutes=30)
RETENTION = timedelta(hours=24)
LABEL = "QZ-purge"  # found nowhere else, so its bytes can be looked for in the database file
KEPT = "QZ-kept"


def _run(app, db, now, **kwargs):
    """One purge with the clock at `now`; `db` then reads afresh (and holds no snapshot meanwhile)."""
    settings = dict(retention=RETENTION, audit_retention=timedelta(days=365),
                    staff_idle=timedelta(minutes=30), outbox=None, now=now)
    settings.update(kwargs)
    db.rollback()
    result = retention.purge(app.extensions["patientapp.db"], **settings)
    db.expunge_all()
    return result


def _count(db, model, *where):
    db.rollback()  # a fresh snapshot: the purge ran on other connections
    return db.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def world(app, db):
    """Three invitations of one clinic: `old` with knocks, audit rows and an SMS; `later` ends two
    hours after it; `moved` had the same end but was moved three days on."""
    clinic = Clinic(slug="c", display_name="Nordby", phone="+4712345678", time_zone="Europe/Oslo", room_settings={})
    staff = Staff(clinic=clinic, email="a@b.no", display_name="A", role="admin", user_handle=b"x" * 64)
    db.add_all([clinic, staff])
    old, old_token = invitations.create_invitation(db, clinic, START, END, "ar", label=LABEL)
    later, later_token = invitations.create_invitation(db, clinic, START + timedelta(hours=2), END + timedelta(hours=2),
                                                  "pl", label="LT")
    moved, _ = invitations.create_invitation(db, clinic, START, END, "so", label=KEPT)
    db.flush()
    # The old one went the whole way: checked, knocked twice (one lapsed), let in, done.
    old.check_summary = {"camera": "ok", "light": "warn"}
    first = knocks.knock(db, old, knocks.CONSENT_VERSION, START - timedelta(minutes=5), timedelta(minutes=15))
    first.state = knocks.LAPSED
    db.flush()
    second = knocks.knock(db, old, knocks.CONSENT_VERSION, START, timedelta(minutes=15))
    knocks.admit(db, second, staff, START + timedelta(minutes=1))
    knocks.knock(db, later, knocks.CONSENT_VERSION, START + timedelta(hours=2), timedelta(minutes=15))
    for invitation in (old, later, moved):
        audit.record(db, "invitation-create", staff_id=staff.id, clinic_id=clinic.id, invitation_id=invitation.id)
        audit.record(db, "knock-message", staff_id=staff.id, clinic_id=clinic.id, invitation_id=invitation.id,
                     detail="late-5")
    audit.record(db, "invitation-sms", "failure", staff_id=staff.id, clinic_id=clinic.id, invitation_id=old.id,
                 detail="gateway answered HTTP 500")
    audit.record(db, "login", staff_id=staff.id, clinic_id=clinic.id, detail="enrolment")
    db.commit()
    # The clinic moved `moved` three days on, as the reschedule form does.
    moved.starts_at, moved.ends_at = START + timedelta(days=3), END + timedelta(days=3)
    db.commit()
    return {"old": old.id, "later": later.id, "moved": moved.id, "staff": staff.id,
            "tokens": {"old": old_token, "later": later_token}}


def test_nothing_goes_before_the_appointment_end_plus_retention(app, db, world):
    result = _run(app, db, END + RETENTION - timedelta(minutes=1))
    assert (result.invitations, result.knocks, result.audit_cleared) == (0, 0, 0)
    assert _count(db, Invitation) == 3 and _count(db, Knock) == 3
    assert db.get(Invitation, world["old"]).label == LABEL


def test_after_end_plus_retention_the_invitation_and_its_knocks_go_and_the_audit_keeps_ids(app, db, world):
    result = _run(app, db, END + RETENTION + timedelta(minutes=1))
    assert (result.invitations, result.knocks, result.audit_cleared) == (1, 2, 2)
    assert db.get(Invitation, world["old"]) is None
    assert _count(db, Knock, Knock.invitation_id == world["old"]) == 0
    rows = db.scalars(select(AuditEvent).where(AuditEvent.invitation_id == world["old"]).order_by(AuditEvent.id)).all()
    assert [(r.action, r.result) for r in rows] == [
        ("invitation-create", "ok"), ("knock-message", "ok"), ("invitation-sms", "failure")]
    assert all(r.detail is None and r.staff_id == world["staff"] for r in rows)
    # The other invitations and their rows are untouched, the moved one included.
    assert {i.id for i in db.scalars(select(Invitation))} == {world["later"], world["moved"]}
    assert db.get(Invitation, world["moved"]).label == KEPT
    assert _count(db, Knock, Knock.invitation_id == world["later"]) == 1
    assert _count(db, AuditEvent, AuditEvent.detail == "late-5") == 2
    assert _count(db, AuditEvent, AuditEvent.action == "login", AuditEvent.detail == "enrolment") == 1


def test_running_it_twice_deletes_nothing_more(app, db, world):
    now = END + RETENTION + timedelta(minutes=1)
    assert _run(app, db, now).invitations == 1
    again = _run(app, db, now)
    assert again.deleted == 0 and not again.vacuumed
    assert _count(db, Invitation) == 2 and _count(db, Knock) == 1 and _count(db, AuditEvent) == 8


def test_the_moved_and_the_later_invitation_go_at_their_own_time(app, db, world):
    _run(app, db, END + timedelta(hours=2) + RETENTION + timedelta(minutes=1))
    assert {i.id for i in db.scalars(select(Invitation))} == {world["moved"]}
    _run(app, db, END + timedelta(days=3) + RETENTION + timedelta(minutes=1))
    assert _count(db, Invitation) == 0 and _count(db, Knock) == 0
    assert _count(db, AuditEvent, AuditEvent.invitation_id.is_not(None), AuditEvent.detail.is_not(None)) == 0


def test_batches_take_every_invitation(app, db):
    clinic = Clinic(slug="b", display_name="B", phone="+4712345678", time_zone="Europe/Oslo", room_settings={})
    db.add(clinic)
    for n in range(7):
        invitations.create_invitation(db, clinic, START, END, "nb", label=f"L{n}")
    db.commit()
    result = retention.Purged()
    retention.purge_invitations(app.extensions["patientapp.db"], END + timedelta(seconds=1), result, batch=3)
    assert result.invitations == 7 and _count(db, Invitation) == 0


def test_audit_rows_go_after_the_audit_retention(app, db):
    now = datetime(2027, 6, 1, tzinfo=UTC)
    db.add_all([AuditEvent(at=now - timedelta(days=366), action="login", result="ok"),
                AuditEvent(at=now - timedelta(days=364), action="logout", result="ok")])
    db.commit()
    assert _run(app, db, now, audit_retention=None).audit_deleted == 0
    assert _run(app, db, now).audit_deleted == 1
    assert [e.action for e in db.scalars(select(AuditEvent))] == ["logout"]


def test_expired_staff_sessions_challenges_and_enrolments_go(app, db):
    now = datetime(2027, 6, 1, 12, tzinfo=UTC)
    clinic = Clinic(slug="s", display_name="S", phone="+4712345678", time_zone="Europe/Oslo", room_settings={})
    staff = Staff(clinic=clinic, email="s@b.no", display_name="S", role="staff", user_handle=b"y" * 64)
    db.add_all([clinic, staff])
    hour, minute = timedelta(hours=1), timedelta(minutes=1)
    db.add_all([
        StaffSession(token_hash="a" * 64, staff=staff, last_seen_at=now - minute, expires_at=now + hour),  # live
        StaffSession(token_hash="b" * 64, staff=staff, last_seen_at=now - 31 * minute, expires_at=now + hour),  # idle
        StaffSession(token_hash="c" * 64, staff=staff, last_seen_at=now - minute, expires_at=now - minute),  # ended
        Challenge(flow_hash="d" * 64, purpose="login", challenge=b"z" * 64, expires_at=now - minute),
        Challenge(flow_hash="e" * 64, purpose="login", challenge=b"z" * 64, expires_at=now + minute),
        Enrolment(staff=staff, token_hash="f" * 64, expires_at=now - minute),
        Enrolment(staff=staff, token_hash="g" * 64, expires_at=now + hour),
    ])
    db.commit()
    result = _run(app, db, now)
    assert (result.staff_sessions, result.challenges, result.enrolments) == (2, 1, 1)
    assert [s.token_hash for s in db.scalars(select(StaffSession))] == ["a" * 64]
    assert _count(db, Challenge) == 1 and _count(db, Enrolment) == 1 and _count(db, Staff) == 1


def test_the_outbox_keeps_only_messages_whose_link_still_works(app, db, world, tmp_path):
    outbox = sms.OutboxGateway(tmp_path / "sms-outbox.jsonl")
    base = app.config["PUBLIC_BASE_URL"]
    for key in ("old", "later"):
        outbox.send("+4791234567", f"Nordby 29.3. 12:00 {base}/i/{world['tokens'][key]}")
    outbox.send("+4791234567", f"Nordby 29.3. 12:00 {base}/i/{'A' * 43}")  # a link replaced by a new one
    with (tmp_path / "sms-outbox.jsonl").open("a") as file:
        file.write("not json\n")
    result = _run(app, db, END + RETENTION + timedelta(minutes=1), outbox=tmp_path / "sms-outbox.jsonl")
    assert result.outbox_lines == 3
    assert [r["text"].rsplit("/", 1)[1] for r in outbox.read()] == [world["tokens"]["later"]]
    # A message sent afterwards is appended whole.
    outbox.send("+4791234567", "next")
    assert [r["text"] for r in outbox.read()][0] == "next" and len(outbox.read()) == 2
    assert _run(app, db, END + RETENTION + timedelta(minutes=1), outbox=tmp_path / "sms-outbox.jsonl").outbox_lines == 1
    assert _run(app, db, END, outbox=tmp_path / "missing.jsonl").outbox_lines == 0


def test_sqlite_file_keeps_no_trace_of_a_purged_label(app, db, world, backend):
    result = _run(app, db, END + RETENTION + timedelta(minutes=1))
    if backend != "sqlite":
        assert not result.vacuumed  # PostgreSQL: autovacuum's job
        return
    assert result.vacuumed
    path = Path(app.extensions["patientapp.db"].engine.url.database)
    files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
    contents = b"".join(p.read_bytes() for p in files)
    assert KEPT.encode() in contents  # the search finds a label that is still there
    assert LABEL.encode() not in contents


def test_cli_prints_one_line_of_counts_and_exits_0(app, db, world, monkeypatch):
    monkeypatch.setattr(retention, "utcnow", lambda: END + RETENTION + timedelta(minutes=1))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["purge"])
    assert first.exit_code == 0, first.output
    assert first.output.count("\n") == 1 and first.output.startswith("purge: invitations 1, knocks 2, ")
    assert LABEL not in first.output and world["tokens"]["old"] not in first.output
    second = runner.invoke(args=["purge", "--no-vacuum"])
    assert second.exit_code == 0 and "invitations 0, knocks 0" in second.output
    assert second.output.rstrip().endswith("vacuum skipped")
    assert _count(db, Invitation) == 2
