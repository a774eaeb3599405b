"""Fifty requests at once on one invitation, against gunicorn with two workers (R12, R62).

Knocks from fifty devices, then knocks and admissions racing each other, then fifty hand-offs: one
knock, at most one admission, one hand-off, no 5xx and no "database is locked", on each database.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from patientapp.models import AuditEvent, Invitation, Knock
from tests.conftest import staff_session
from tests.instances import Browser, Instance, Patient

PUBLIC = "http://localhost:8443"


@pytest.fixture
def instance(database_url, app, tmp_path):
    # Fifty devices behind one address and one visit: rate limits (tested on their own) would answer
    # most of them 429 before the database is reached, so they are off here.
    server = Instance(database_url, tmp_path, public_base_url=PUBLIC, threads=80,
                      env={"PATIENTAPP_RATE_LIMITS": "0"}).start()
    yield server
    server.stop()
    log = server.log()
    assert "unhandled" not in log and "database is locked" not in log and "WORKER TIMEOUT" not in log, log[-3000:]


def _at_once(calls):
    """Run every call on its own thread, released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as error:  # noqa: BLE001 - a dropped connection is a result too
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    return results


def _room(instance, key):
    return {"key": key, "label": key, "provider": "template",
            "template": f"http://localhost:{instance.port}/dev/video-room?name={{name}}&r={key}"}


def _invitation(invitation_factory, db, instance, room):
    invitation, token = invitation_factory.create(starts_in=timedelta(minutes=5), room_settings={"rooms": [
        _room(instance, "r"), _room(instance, "shared")]})
    db.execute(Invitation.__table__.update().where(Invitation.id == invitation.id).values(room_ref=room))
    db.commit()
    return invitation, token


def _clinician_token(db, clinic_id):
    return staff_session(db, clinic_id, email="kari@example.no", display_name="Kari")[1]


def _clinicians(instance, token, count):
    clinicians = []
    for _ in range(count):
        clinician = Browser(instance, cookies={"__Host-staff": token})
        clinician.page("/staff/")
        clinicians.append(clinician)
    return clinicians


def test_fifty_knocks_and_admits_on_one_invitation(instance, invitation_factory, db):
    invitation, token = _invitation(invitation_factory, db, instance, "r")
    staff_token = _clinician_token(db, invitation.clinic_id)

    devices = []
    for _ in range(50):  # the patient, relatives, a second phone: every device opened the link
        patient = Patient(instance, token)
        patient.open_link()
        patient.page("/visit/wait")
        devices.append(patient)

    # Fifty knocks at once: one knock, the same for everyone.
    answers = _at_once([lambda p=p: p.post_json("/api/visit/knock", {"consent_version": "2026-11"}) for p in devices])
    assert [getattr(a, "status", a) for a in answers] == [201] * 50
    assert len({a.json()["knock"] for a in answers}) == 1
    knock_id = answers[0].json()["knock"]

    # Twenty-five knocks and twenty-five admissions at once: one admission, the knock unchanged.
    clinicians = _clinicians(instance, staff_token, 25)
    calls = [lambda p=p: p.post_json("/api/visit/knock", {"consent_version": "2026-11"}) for p in devices[:25]]
    calls += [lambda c=c: c.post_json(f"/staff/api/knocks/{knock_id}/admit") for c in clinicians]
    answers = _at_once(calls)
    statuses = [getattr(a, "status", a) for a in answers]
    assert statuses[:25] == [201] * 25 and {a.json()["knock"] for a in answers[:25]} == {knock_id}
    assert sorted(statuses[25:]) == [200] + [409] * 24, statuses[25:]
    assert {a.json()["error"] for a in answers[25:] if a.status == 409} == {"not-waiting"}

    # Fifty hand-offs at once: the room once; everyone else back to the waiting room.
    answers = _at_once([lambda p=p: p.get("/visit/go") for p in devices])
    assert [getattr(a, "status", a) for a in answers] == [303] * 50
    places = sorted(a.headers["location"] for a in answers)
    assert sum("/dev/video-room" in p for p in places) == 1 and sum(p.endswith("/visit/wait") for p in places) == 49

    db.rollback()
    knocks = db.scalars(select(Knock)).all()
    assert [(k.id, k.state) for k in knocks] == [(knock_id, "admitted")]
    assert knocks[0].handoff_used_at is not None
    assert db.get(Invitation, invitation.id).state == "admitted"
    admits = db.scalars(select(AuditEvent).where(AuditEvent.action == "knock-admit")).all()
    assert sorted(e.result for e in admits) == ["ok"] + ["refused"] * 24


def test_two_patients_one_room_admitted_at_once(instance, invitation_factory, db):
    """Clinicians letting two patients into the same room at the same moment: one gets in (R12)."""
    first, first_token = _invitation(invitation_factory, db, instance, "shared")
    second, second_token = _invitation(invitation_factory, db, instance, "shared")
    staff_token = _clinician_token(db, first.clinic_id)
    knocks = []
    for token in (first_token, second_token):
        patient = Patient(instance, token)
        patient.open_link()
        assert patient.knock().status == 201
        knocks.append(patient.knock_id)
    clinicians = _clinicians(instance, staff_token, 20)
    answers = _at_once([lambda c=c, i=i: c.post_json(f"/staff/api/knocks/{knocks[i % 2]}/admit")
                        for i, c in enumerate(clinicians)])
    statuses = [getattr(a, "status", a) for a in answers]
    assert sorted(statuses) == [200] + [409] * 19, statuses
    assert {a.json()["error"] for a in answers if a.status == 409} == {"not-waiting", "room-busy"}
    db.rollback()
    assert sorted(k.state for k in db.scalars(select(Knock))) == ["admitted", "waiting"]
