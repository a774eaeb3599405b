"""Faults while patients wait, against gunicorn (R60, R62, R63): a worker killed, PostgreSQL away,
Redis away. Nothing is lost, every answer is calm (no 500), and the service recovers by itself.

PostgreSQL is cut with a TCP proxy between the app and the shared server, and Redis is a server of
the test's own: the shared ones stay up for everyone else. bench/faults.py restarts the real
PostgreSQL instead.
"""
from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from patientapp.models import Knock
from tests.conftest import staff_session
from tests.instances import Browser, Instance, Patient, RedisServer, TcpProxy, WaitingPage, shared_limits

PUBLIC = "http://localhost:8443"


def _calm(instance: Instance) -> None:
    """No request ended in an unhandled error (a 500) and no worker hung."""
    log = instance.log()
    assert '"unhandled' not in log and "WORKER TIMEOUT" not in log, log[-3000:]


def _waiting_patients(instance, invitation_factory, count):
    patients = []
    for _ in range(count):
        _invitation, token = invitation_factory.create(starts_in=timedelta(minutes=5))
        patient = Patient(instance, token)
        patient.open_link()
        assert patient.knock().status == 201
        patients.append(patient)
    return patients


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_while_patients_wait(database_url, app, invitation_factory, db, tmp_path):
    instance = Instance(database_url, tmp_path, public_base_url=PUBLIC,
                        env={"PATIENTAPP_STATUS_HOLD_SECONDS": "2"}).start()
    try:
        patients = _waiting_patients(instance, invitation_factory, 8)
        knock_ids = {p.knock_id for p in patients}
        pages = [WaitingPage(p) for p in patients]
        [page.start() for page in pages]
        _wait_for(lambda: all(page.answers for page in pages), 10, "every page's first answer")
        time.sleep(0.5)  # every page now has a status request held

        connections = instance.connections()
        victim = max(connections, key=connections.get)
        assert connections[victim] >= 1, connections
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()

        # Every page hears from the server again; those whose request the killed worker held asked again.
        _wait_for(lambda: all(page.ok_after(killed_at) for page in pages), 15, "every page to recover")
        assert any(page.failed_after(killed_at) for page in pages), "a held request should have been cut"
        for page in pages:
            assert all(body["state"] == "waiting" and body["knock"] == page.patient.knock_id
                       for body in page.ok_after(killed_at))
        # gunicorn replaces the worker.
        _wait_for(lambda: len(instance.workers()) == 2 and victim not in instance.workers(), 15, "a new worker")
        for page in pages:
            page.stop.set()
        fresh = Patient(instance, patients[0].token)
        fresh.cookies = dict(patients[0].cookies)
        assert fresh.status().status == 200
    finally:
        instance.stop()
    db.rollback()
    knocks = db.scalars(select(Knock)).all()
    assert {k.id for k in knocks} == knock_ids and {k.state for k in knocks} == {"waiting"}  # no knock lost
    _calm(instance)


@pytest.fixture
def staff_token(db):
    def make(clinic_id):
        return staff_session(db, clinic_id, email="kari@example.no", display_name="Kari")[1]
    return make


@pytest.mark.postgresql_only
def test_postgresql_away_while_patients_wait(database_url, app, invitation_factory, db, staff_token, tmp_path):
    proxy = TcpProxy("127.0.0.1", 5432)
    instance = Instance(database_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"), tmp_path,
                        public_base_url=PUBLIC, env={"PATIENTAPP_STATUS_HOLD_SECONDS": "2"}).start()
    try:
        waiting, = _waiting_patients(instance, invitation_factory, 1)
        _invitation, token = invitation_factory.create(starts_in=timedelta(minutes=5), language="pl")
        late = Patient(instance, token, language="pl")  # opened the link, knocks during the outage
        late.open_link()
        late.page("/visit/wait")
        clinician = Browser(instance, cookies={"__Host-staff": staff_token(_invitation.clinic_id)})
        assert clinician.get("/staff/api/dashboard").status == 200
        assert waiting.status().status == 200
        page = WaitingPage(waiting)
        page.start()
        time.sleep(0.5)

        proxy.cut()
        cut_at = time.monotonic()
        ready = Browser(instance).get("/readyz")
        assert ready.status == 503 and ready.json() == {"status": "unavailable"}
        html = late.get("/visit/wait")
        assert html.status == 503 and html.headers["retry-after"] == "5"
        assert html.headers["content-type"].startswith("text/html") and '<html lang="pl"' in html.text
        with app.test_request_context(), force_locale("pl"):
            assert gettext("Many people are using the service just now") in html.text
        knock = late.post_json("/api/visit/knock", {"consent_version": "2026-11"})
        assert knock.status == 503 and knock.json() == {"error": "busy"}
        dashboard = clinician.get("/staff/api/dashboard")
        assert dashboard.status == 503 and dashboard.json() == {"error": "busy"}
        time.sleep(2.5)  # the waiting page's held request ends meanwhile, and it keeps asking
        assert {status for at, status, _body in page.answers if at > cut_at} <= {200, 503}

        proxy.restore()
        restored_at = time.monotonic()
        _wait_for(lambda: Browser(instance).get("/readyz").status == 200, 10, "/readyz to say ready")
        _wait_for(lambda: page.ok_after(restored_at), 10, "the waiting page to hear from the server")
        page.stop.set()
        assert page.ok_after(restored_at)[-1]["knock"] == waiting.knock_id
        assert late.post_json("/api/visit/knock", {"consent_version": "2026-11"}).status == 201
        assert clinician.get("/staff/api/dashboard").json()["knocking"] == 2
    finally:
        instance.stop()
        proxy.close()
    db.rollback()
    assert sorted(k.state for k in db.scalars(select(Knock))) == ["waiting", "waiting"]  # no knock lost
    _calm(instance)


@pytest.mark.one_backend
def test_redis_away_while_patients_wait(backend, database_url, app, invitation_factory, db, tmp_path):
    redis = RedisServer().start()
    instance = Instance(database_url, tmp_path, public_base_url=PUBLIC,
                        env={**shared_limits(redis.url), "PATIENTAPP_RATE_LIMIT_LINK": "5/minute"}).start()
    try:
        patient, = _waiting_patients(instance, invitation_factory, 1)
        assert patient.status().status == 200
        assert int(redis.command("DBSIZE").strip()[1:]) > 0, "the limits count in this Redis"
        redis.kill()

        started = time.monotonic()
        answer = patient.get("/api/visit/status")
        assert answer.status == 200 and answer.json()["knock"] == patient.knock_id
        assert time.monotonic() - started < 5
        assert patient.knock().status == 201 and patient.knock_id == answer.json()["knock"]
        assert patient.get("/visit/wait").status == 200
        assert Browser(instance).get("/readyz").status == 200  # the in-memory fallback stands in (R63)
        # The fallback still counts (per worker now): a flood of link guesses is still turned away.
        guesses = [Browser(instance).get("/i/" + "x" * 43).status for _ in range(12)]
        assert set(guesses) == {410, 429}, guesses
    finally:
        instance.stop()
        redis.kill()
    _calm(instance)
