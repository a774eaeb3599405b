"""The real PostgreSQL server restarted while patients wait (the suite only cuts a TCP proxy).

Creates a fresh database on the local PostgreSQL, starts gunicorn (repository settings, two workers,
rate limits in Redis), lets --patients patients knock and wait with held status requests the way the
waiting page asks (tests/instances.py), probes /readyz every 0.2 s, and then restarts the cluster with
`pg_ctlcluster --skip-systemctl-redirect <version> main restart`. Meanwhile a late patient tries to
knock every half second. Reports how long the service said "not ready", what the pages and the late
knock were answered, how soon every page heard from the server again, and whether any knock was lost.

IMPORTANT: this restarts the machine's shared PostgreSQL for a few seconds; every other connection to
it breaks. Run it when nobody else's tests are using it.

    .venv/bin/python bench/faults.py --patients 40
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.instances import Browser, Instance, Patient, WaitingPage  # noqa: E402

ADMIN_URL = os.environ.get("PATIENTAPP_TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PUBLIC = "http://localhost:8443"


def create_database() -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    name = "patientapp_faults_" + secrets.token_hex(4)
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def invitations(db_url: str, count: int) -> list[str]:
    from patientapp import create_app, invitations
    from patientapp.models import Clinic

    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "x" * 48, "PUBLIC_BASE_URL": PUBLIC, "RATE_LIMITS": False})
    database = app.extensions["patientapp.db"]
    database.upgrade()
    tokens = []
    with app.app_context(), database.sessions() as session, session.begin():
        clinic = Clinic(slug="faults", display_name="Faults", phone="+4712345678", time_zone="Europe/Oslo",
                        room_settings={})
        session.add(clinic)
        start = datetime.now(UTC) + timedelta(minutes=5)
        for _ in range(count):
            tokens.append(invitations.create_invitation(session, clinic, start, start + timedelta(minutes=30), "nb")[1])
    database.dispose()
    return tokens


def knocks(db_url: str) -> Counter:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        states = Counter(state for (state,) in conn.execute(text("SELECT state FROM knocks")))
    engine.dispose()
    return states


class Probe(threading.Thread):
    """GET /readyz every 0.2 s: (time, status)."""

    def __init__(self, instance):
        super().__init__(daemon=True)
        self.instance, self.samples, self.stop = instance, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                status = Browser(self.instance).get("/readyz", timeout=10).status
            except OSError:
                status = 0
            self.samples.append((time.monotonic(), status))
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--hold", type=int, default=20, help="STATUS_HOLD_SECONDS")
    parser.add_argument("--after", type=float, default=30, help="seconds to watch after the restart")
    args = parser.parse_args()
    version = sorted(os.listdir("/etc/postgresql"))[-1]

    name, db_url = create_database()
    tmp = tempfile.TemporaryDirectory()
    instance = Instance(db_url, Path(tmp.name), public_base_url=PUBLIC, threads=200,
                        env={"PATIENTAPP_STATUS_HOLD_SECONDS": str(args.hold), "PATIENTAPP_RATE_LIMITS": "0"})
    try:
        tokens = invitations(db_url, args.patients + 1)
        instance.start()
        patients = []
        for token in tokens[:-1]:
            patient = Patient(instance, token)
            patient.open_link()
            assert patient.knock().status == 201
            patients.append(patient)
        late = Patient(instance, tokens[-1])
        late.open_link()
        late.page("/visit/wait")
        before = knocks(db_url)
        pages = [WaitingPage(p, timeout=args.hold + 15) for p in patients]
        probe = Probe(instance)
        [t.start() for t in (*pages, probe)]
        time.sleep(3)

        late_answers = []

        def keep_knocking():
            # From the moment the service first says it is not ready (or the restart is over).
            while not restart_done.is_set() and not any(s != 200 for at, s in probe.samples if at >= restart_started):
                time.sleep(0.05)
            while True:
                try:
                    answer = late.post_json("/api/visit/knock", {"consent_version": "2026-11"}, timeout=15)
                    late_answers.append((time.monotonic(), answer.status))
                    if answer.status == 201:
                        return
                except OSError:
                    late_answers.append((time.monotonic(), 0))
                time.sleep(0.5)

        restart_started = time.monotonic()
        restart_done = threading.Event()
        knocker = threading.Thread(target=keep_knocking, daemon=True)
        knocker.start()
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
        restart_ended = time.monotonic()
        restart_done.set()
        time.sleep(args.after)
        probe.stop.set()
        for page in pages:
            page.stop.set()
        knocker.join(timeout=30)
        after = knocks(db_url)
    finally:
        instance.stop()
    log = instance.log()
    problems = [line for line in log.splitlines() if '"unhandled' in line]
    if problems:
        (ROOT / "bench/results/faults-unhandled.log").write_text("\n".join(problems[:5]))
    drop_database(name)
    tmp.cleanup()

    not_ready = [at for at, status in probe.samples if status != 200 and at >= restart_started]
    first_ready_after = next((at for at, status in probe.samples
                              if status == 200 and at > (not_ready[-1] if not_ready else restart_ended)), None)
    during = Counter(status for page in pages for at, status, _ in page.answers if restart_started <= at)
    recovered = [min((at for at, status, body in page.answers if at > restart_ended and status == 200
                      and body["knock"] == page.patient.knock_id), default=None) for page in pages]
    result = {
        "patients": args.patients, "hold_seconds": args.hold, "postgresql": version,
        "restart_seconds": round(restart_ended - restart_started, 2),
        "readyz_not_ready_seconds": round(not_ready[-1] - not_ready[0], 2) if not_ready else 0,
        "readyz_statuses_during": dict(Counter(s for at, s in probe.samples if at >= restart_started)),
        "readyz_ready_again_after_restart_s": (round(first_ready_after - restart_ended, 2)
                                               if first_ready_after else None),
        "page_statuses_from_restart": {str(k): v for k, v in sorted(during.items())},
        "pages_recovered": sum(r is not None for r in recovered),
        "page_recovery_max_s": round(max(r - restart_ended for r in recovered if r), 2) if any(recovered) else None,
        "late_knock_statuses": dict(Counter(s for _, s in late_answers)),
        "late_knock_ok_after_restart_s": round(late_answers[-1][0] - restart_ended, 2)
        if late_answers and late_answers[-1][1] == 201 else None,
        "knocks_before": dict(before), "knocks_after": dict(after),
        "unhandled_errors": log.count('"unhandled'), "worker_timeouts": log.count("WORKER TIMEOUT"),
        "database_unavailable_warnings": log.count("database unavailable"),
    }
    out = ROOT / "bench/results"
    out.mkdir(exist_ok=True)
    (out / "faults-postgresql-restart.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
