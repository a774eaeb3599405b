"""How many waiting patients the server holds, and how fast an admission reaches them.

Starts gunicorn with the repository's gunicorn.conf.py on a loopback port, with SQLite (default) or
PostgreSQL (--postgres URL); creates N invitations; every simulated patient opens its link, knocks and
then asks /api/visit/status as the waiting page does (patientapp/static/js/patient/waiting-room.js):
with `?seen=<version>`, at once again after a held or changed answer, after STATUS_POLL_SECONDS
(with jitter) after a quick unchanged one, each patient over its own keep-alive HTTP/1.1 connection.
Meanwhile a staff member admits patients one by one, and we time from the admit's answer to the
patient's answer that says "admitted" (after which the page leaves for the room); --dashboards staff
dashboards refresh every 3 s alongside. Loopback only, bounded in count and time; stops by itself.

    .venv/bin/python bench/waiting_room.py --patients 1000             # SQLite
    .venv/bin/python bench/waiting_room.py --patients 1000 --postgres postgresql://user@host/db
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Connection:
    """A minimal keep-alive HTTP/1.1 client: enough for GET/POST with cookies, no dependency."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        reused = self.writer is not None
        try:
            return await self._request(method, path, body, headers)
        except (ConnectionError, asyncio.IncompleteReadError):
            if not reused:
                raise
            # gunicorn closes idle keep-alive connections after 5 s: reconnect once, as browsers do.
            self.close()
            return await self._request(method, path, body, headers)

    async def _request(self, method: str, path: str, body: bytes, headers: dict | None):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: localhost:{self.port}", "Connection: keep-alive"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        for key, value in (headers or {}).items():
            lines.append(f"{key}: {value}")
        if body:
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = (await self.reader.readline()).decode("latin-1").strip()
            if not line:
                break
            name, _, value = line.partition(":")
            name, value = name.lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        if chunked:
            data = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                if size == 0:
                    await self.reader.readline()
                    break
                data += await self.reader.readexactly(size)
                await self.reader.readline()
        else:
            data = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, data

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def prepare(db_url: str, patients: int, base: str, clinics: int = 1) -> tuple[list[tuple[str, int]], list[str]]:
    """Invitations starting now (knocking allowed), spread over `clinics` clinics (a hospital's
    departments), one room each, and one signed-in staff member per clinic."""
    from patientapp import create_app, staff_auth, visits
    from patientapp.models import Clinic, Staff, utcnow

    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "bench-secret-" * 4, "PUBLIC_BASE_URL": base,
                      "ALLOW_LOCAL_ROOMS": True})
    database = app.extensions["patientapp.db"]
    database.upgrade()
    tokens, staff_tokens = [], []
    clinics = max(1, clinics)
    with app.app_context(), database.sessions() as session, session.begin():
        start = datetime.now(timezone.utc) + timedelta(minutes=5)
        for c in range(clinics):
            mine = range(c, patients, clinics)
            clinic = Clinic(slug=f"bench-{c}-{random.randrange(10**9)}", display_name=f"Bench {c}",
                            phone="+4712345678", time_zone="Europe/Oslo", room_settings={"rooms": [
                                {"key": f"r{i}", "label": f"R{i}", "provider": "template",
                                 "template": base + f"/dev/video-room?r={i}&name={{name}}"} for i in mine]})
            session.add(clinic)
            for i in mine:
                invitation, token = visits.create_invitation(session, clinic, start, start + timedelta(minutes=30), "nb")
                invitation.room_ref = f"r{i}"  # one room each: admissions never wait for a busy room
                tokens.append((token, c))
            staff = Staff(clinic=clinic, email=f"bench-{c}-{random.randrange(10**9)}@example.no",
                          display_name="Bench", role="admin", user_handle=staff_auth.new_user_handle())
            session.add(staff)
            session.flush()
            staff_tokens.append(staff_auth.start_session(session, staff, utcnow()))
    database.dispose()
    random.shuffle(tokens)
    return tokens, staff_tokens


async def patient(port, token, clinic, poll, until, stats, admitted_at, ready, sem, arrive_after=0.0):
    await asyncio.sleep(arrive_after)  # patients open their links over the ramp, not all at once
    conn = Connection(port)
    async with sem:  # patients arrive a few at a time, not all in the same millisecond
        started = time.monotonic()
        status, _ = await conn.request("GET", f"/i/{token}")
        if status == 303:
            status, page = await conn.request("GET", "/visit/wait")
        if status == 200:
            csrf = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
            body = json.dumps({"consent_version": "2026-11"}).encode()
            status, data = await conn.request("POST", "/api/visit/knock", body,
                                              {"Content-Type": "application/json", "X-CSRFToken": csrf})
        stats["arrival"].append(time.monotonic() - started)
    if status != 201:
        stats["errors"] += 1
        stats["error_statuses"].append(f"arrival {status}")
        conn.close()
        return
    knock_id = json.loads(data)["knock"]
    ready.append((knock_id, clinic))
    version = None
    while time.monotonic() < until:
        started = time.monotonic()
        path = "/api/visit/status" + (f"?seen={version}" if version else "")
        try:
            status, data = await asyncio.wait_for(conn.request("GET", path), timeout=45)
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as error:
            stats["errors"] += 1
            stats["error_statuses"].append(type(error).__name__)
            conn.close()
            await asyncio.sleep(poll)
            continue
        elapsed = time.monotonic() - started
        if status != 200:
            stats["errors"] += 1
            stats["error_statuses"].append(status)
            await asyncio.sleep(poll)
            continue
        answer = json.loads(data)
        (stats["held"] if answer.get("held") else stats["latencies"]).append(elapsed)
        if answer.get("state") == "admitted" and knock_id in admitted_at:
            admitted, during_ramp = admitted_at.pop(knock_id)
            stats["handoff"].append(time.monotonic() - admitted)
            stats["handoff_ramp" if during_ramp else "handoff_steady"].append(time.monotonic() - admitted)
            status, _ = await conn.request("GET", "/visit/go")
            stats["handoff_redirects"] += status == 303
            break
        news = answer.get("version") != version
        version = answer.get("version")
        if answer.get("wait") and (news or (answer.get("held") and elapsed >= 1)):
            await asyncio.sleep(0.05 + random.random() * 0.25)
        else:
            await asyncio.sleep(poll * (0.8 + random.random() * 0.4))
    conn.close()


async def dashboard(port, staff_token, until, stats, every=3.0):
    """A staff member's dashboard, refreshing itself as dashboard.js does."""
    conn = Connection(port)
    conn.cookies["__Host-staff"] = staff_token
    await asyncio.sleep(random.random() * every)
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            status, _ = await asyncio.wait_for(conn.request("GET", "/staff/api/dashboard"), timeout=30)
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as error:
            stats["errors"] += 1
            stats["error_statuses"].append(f"dashboard {type(error).__name__}")
            conn.close()
        else:
            stats["dashboard_latencies"].append(time.monotonic() - started)
            if status != 200:
                stats["errors"] += 1
                stats["error_statuses"].append(f"dashboard {status}")
        await asyncio.sleep(every)
    conn.close()


async def staff(port, staff_tokens, ready, admitted_at, count, until, stats, ramp_until):
    """Clinicians let patients in one by one, each through their own clinic's workspace."""
    conns = {}

    async def signed_in(clinic):
        if clinic not in conns:
            conn = Connection(port)
            conn.cookies["__Host-staff"] = staff_tokens[clinic]
            status, page = await conn.request("GET", "/staff/")
            conns[clinic] = (conn, re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode())
        return conns[clinic]

    await asyncio.sleep(5)
    done = 0
    while done < count and time.monotonic() < until - 10:
        if not ready:
            await asyncio.sleep(0.5)
            continue
        done += 1
        knock_id, clinic = ready.pop(random.randrange(len(ready)))
        conn, csrf = await signed_in(clinic)
        started = time.monotonic()
        status, _ = await conn.request("POST", f"/staff/api/knocks/{knock_id}/admit", b"{}",
                                       {"Content-Type": "application/json", "X-CSRFToken": csrf})
        stats["admit_latency"].append(time.monotonic() - started)
        if status != 200:
            stats["errors"] += 1
            stats["error_statuses"].append(f"admit {status}")
            continue
        admitted_at[knock_id] = (time.monotonic(), time.monotonic() < ramp_until)
        await asyncio.sleep(1.0)
    for conn, _csrf in conns.values():
        conn.close()


def pct(values, p):
    return statistics.quantiles(values, n=100)[p - 1] if len(values) >= 2 else (values[0] if values else float("nan"))


async def run(port, tokens, staff_tokens, poll, seconds, admits, dashboards, ramp):
    stats = {"latencies": [], "held": [], "errors": 0, "error_statuses": [], "handoff": [], "handoff_redirects": 0,
             "admit_latency": [], "dashboard_latencies": [], "arrival": [], "handoff_ramp": [], "handoff_steady": []}
    ready, admitted_at = [], {}
    until = time.monotonic() + seconds
    sem = asyncio.Semaphore(20)

    async def start(index, token, clinic):
        await patient(port, token, clinic, poll, until, stats, admitted_at, ready, sem,
                      arrive_after=ramp * index / max(1, len(tokens)))

    started = time.monotonic()
    await asyncio.gather(*(start(i, t, c) for i, (t, c) in enumerate(tokens)),
                         staff(port, staff_tokens, ready, admitted_at, admits, until, stats, time.monotonic() + ramp),
                         *(dashboard(port, staff_tokens[i % len(staff_tokens)], until, stats) for i in range(dashboards)))
    stats["elapsed"] = time.monotonic() - started
    return stats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=240)
    parser.add_argument("--ramp", type=float, default=120,
                        help="patients open their links evenly over this many seconds (0: all at once, 20 at a time)")
    parser.add_argument("--admits", type=int, default=100)
    parser.add_argument("--poll", type=float, default=3.0)
    parser.add_argument("--hold", type=int, default=20, help="STATUS_HOLD_SECONDS; 0 for plain polling")
    parser.add_argument("--dashboards", type=int, default=20,
                        help="clinics the patients are spread over, each with one staff dashboard open")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=600)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL instead of SQLite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://localhost:{port}"
        db_url = args.postgres or f"sqlite:///{tmp}/bench.sqlite3"
        tokens, staff_tokens = prepare(db_url, args.patients, base, args.dashboards)
        env = {**os.environ, "PATIENTAPP_DATABASE_URL": db_url, "PATIENTAPP_SECRET_KEY": "bench-secret-" * 4,
               "PATIENTAPP_PUBLIC_BASE_URL": base, "PATIENTAPP_ALLOW_LOCAL_ROOMS": "1", "PORT": str(port),
               "WEB_CONCURRENCY": str(args.workers), "PATIENTAPP_THREADS": str(args.threads),
               "PATIENTAPP_STATUS_POLL_SECONDS": str(int(args.poll)),
               "PATIENTAPP_STATUS_HOLD_SECONDS": str(args.hold), "PATIENTAPP_LOG_LEVEL": "WARNING"}
        log = open(Path(tmp) / "gunicorn.log", "w")
        server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "patientapp:create_app()"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            stats = asyncio.run(run(port, tokens, staff_tokens, args.poll, args.seconds, args.admits, args.dashboards,
                                    args.ramp))
        except BaseException:
            log.flush()
            print((Path(tmp) / "gunicorn.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        server_log = (Path(tmp) / "gunicorn.log").read_text()
        timeouts = server_log.count("WORKER TIMEOUT")
        problems = [line for line in server_log.splitlines() if "Error" in line or "error" in line]

    lat = stats["latencies"]
    dash = stats["dashboard_latencies"]
    requests = len(lat) + len(stats["held"]) + len(dash)
    result = {
        "database": "postgresql" if args.postgres else "sqlite",
        "patients": args.patients, "poll_seconds": args.poll, "seconds": round(stats["elapsed"], 1),
        "workers": args.workers, "threads": args.threads,
        "hold_seconds": args.hold, "dashboards": args.dashboards,
        "requests": requests, "throughput_rps": round(requests / stats["elapsed"], 1),
        "held_answers": len(stats["held"]), "immediate_status_answers": len(lat),
        "status_p50_ms": round(pct(lat, 50) * 1000, 1), "status_p95_ms": round(pct(lat, 95) * 1000, 1),
        "status_p99_ms": round(pct(lat, 99) * 1000, 1),
        "dashboard_p50_ms": round(pct(dash, 50) * 1000, 1), "dashboard_p99_ms": round(pct(dash, 99) * 1000, 1),
        "errors": stats["errors"], "worker_timeouts": timeouts,
        "error_kinds": sorted({str(e): stats["error_statuses"].count(e) for e in stats["error_statuses"]}.items()),
        "admissions": len(stats["handoff"]), "handoff_redirects": stats["handoff_redirects"],
        "admit_to_handoff_p50_s": round(pct(stats["handoff"], 50), 2),
        "admit_to_handoff_p95_s": round(pct(stats["handoff"], 95), 2),
        "admit_to_handoff_max_s": round(max(stats["handoff"]), 2) if stats["handoff"] else None,
        "ramp_seconds": args.ramp,
        "admissions_during_ramp": len(stats["handoff_ramp"]),
        "handoff_during_ramp_p95_s": round(pct(stats["handoff_ramp"], 95), 2),
        "admissions_after_ramp": len(stats["handoff_steady"]),
        "handoff_after_ramp_p95_s": round(pct(stats["handoff_steady"], 95), 2),
        "admit_request_p95_ms": round(pct(stats["admit_latency"], 95) * 1000, 1),
        "arrival_p50_ms": round(pct(stats["arrival"], 50) * 1000, 1),
        "arrival_p95_ms": round(pct(stats["arrival"], 95) * 1000, 1),
    }
    out = ROOT / "bench/results"
    out.mkdir(exist_ok=True)
    (out / f"waiting-room-{result['database']}-{args.patients}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    for line in problems[:10]:
        print("server:", line[:300])


if __name__ == "__main__":
    main()
