"""How many waiting patients the server holds while they poll, and how fast an admission reaches them.

Starts gunicorn with the repository's gunicorn.conf.py on a loopback port, with SQLite (default) or
PostgreSQL (--postgres URL); creates N invitations; every simulated patient opens its link, knocks and
then polls /api/visit/status every STATUS_POLL_SECONDS (with jitter) over its own keep-alive HTTP/1.1
connection. Meanwhile a staff member admits patients one by one, and we time from the admit answer to
the first poll that returns "admitted" (after which the page leaves for the room). Loopback only,
bounded in count and time; stops by itself.

    .venv/bin/python bench/waiting_room.py --patients 1000 --seconds 60
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


def prepare(db_url: str, patients: int, base: str) -> tuple[list[str], str]:
    """Invitations starting now (knocking allowed), a room, and a signed-in staff member."""
    from patientapp import create_app, staff_auth, visits
    from patientapp.models import Clinic, Staff, utcnow

    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "bench-secret-" * 4, "PUBLIC_BASE_URL": base,
                      "ALLOW_LOCAL_ROOMS": True})
    database = app.extensions["patientapp.db"]
    database.upgrade()
    tokens = []
    with app.app_context(), database.sessions() as session, session.begin():
        clinic = Clinic(slug=f"bench-{random.randrange(10**9)}", display_name="Bench", phone="+4712345678",
                        time_zone="Europe/Oslo", room_settings={"rooms": [
                            {"key": f"r{i}", "label": f"R{i}", "provider": "template",
                             "template": base + f"/dev/video-room?r={i}&name={{name}}"} for i in range(patients)]})
        session.add(clinic)
        start = datetime.now(timezone.utc) + timedelta(minutes=5)
        for i in range(patients):
            invitation, token = visits.create_invitation(session, clinic, start, start + timedelta(minutes=30), "nb")
            invitation.room_ref = f"r{i}"  # one room each: admissions never wait for a busy room
            tokens.append(token)
        staff = Staff(clinic=clinic, email=f"bench-{random.randrange(10**9)}@example.no", display_name="Bench",
                      role="admin", user_handle=staff_auth.new_user_handle())
        session.add(staff)
        session.flush()
        staff_token = staff_auth.start_session(session, staff, utcnow())
    database.dispose()
    return tokens, staff_token


async def patient(port, token, poll, until, stats, admitted_at, ready, sem):
    conn = Connection(port)
    async with sem:  # patients arrive a few at a time, not all in the same millisecond
        status, _ = await conn.request("GET", f"/i/{token}")
        assert status == 303, status
        status, page = await conn.request("GET", "/visit/wait")
        csrf = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
        body = json.dumps({"consent_version": "2026-11"}).encode()
        status, data = await conn.request("POST", "/api/visit/knock", body,
                                          {"Content-Type": "application/json", "X-CSRFToken": csrf})
        assert status == 201, (status, data[:200])
    knock_id = json.loads(data)["knock"]
    ready.append(knock_id)
    await asyncio.sleep(random.random() * poll)
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            status, data = await conn.request("GET", "/api/visit/status")
        except (ConnectionError, OSError, asyncio.IncompleteReadError) as error:
            stats["errors"] += 1
            stats["error_statuses"].append(type(error).__name__)
            conn.close()
            await asyncio.sleep(poll)
            continue
        stats["latencies"].append(time.monotonic() - started)
        if status != 200:
            stats["errors"] += 1
            stats["error_statuses"].append(status)
        elif json.loads(data).get("state") == "admitted" and knock_id in admitted_at:
            stats["handoff"].append(time.monotonic() - admitted_at.pop(knock_id))
            status, _ = await conn.request("GET", "/visit/go")
            stats["handoff_redirects"] += status == 303
            break
        await asyncio.sleep(poll * (0.9 + random.random() * 0.2))
    conn.close()


async def staff(port, staff_token, ready, admitted_at, count, until, stats):
    conn = Connection(port)
    conn.cookies["__Host-staff"] = staff_token
    status, page = await conn.request("GET", "/staff/")
    csrf = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
    await asyncio.sleep(5)
    for _ in range(count):
        if time.monotonic() > until - 10 or not ready:
            break
        knock_id = ready.pop(random.randrange(len(ready)))
        started = time.monotonic()
        status, _ = await conn.request("POST", f"/staff/api/knocks/{knock_id}/admit", b"{}",
                                       {"Content-Type": "application/json", "X-CSRFToken": csrf})
        stats["admit_latency"].append(time.monotonic() - started)
        if status != 200:
            stats["errors"] += 1
            stats["error_statuses"].append(f"admit {status}")
            continue
        admitted_at[knock_id] = time.monotonic()
        status, _ = await conn.request("GET", "/staff/api/dashboard")
        stats["dashboard"].append(status)
        await asyncio.sleep(1.0)
    conn.close()


def pct(values, p):
    return statistics.quantiles(values, n=100)[p - 1] if len(values) >= 2 else (values[0] if values else float("nan"))


async def run(port, tokens, staff_token, poll, seconds, admits):
    stats = {"latencies": [], "errors": 0, "error_statuses": [], "handoff": [], "handoff_redirects": 0, "admit_latency": [], "dashboard": []}
    ready, admitted_at = [], {}
    until = time.monotonic() + seconds
    sem = asyncio.Semaphore(20)

    async def start(token):
        await patient(port, token, poll, until, stats, admitted_at, ready, sem)

    started = time.monotonic()
    await asyncio.gather(*(start(t) for t in tokens), staff(port, staff_token, ready, admitted_at, admits, until, stats))
    stats["elapsed"] = time.monotonic() - started
    return stats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--admits", type=int, default=30)
    parser.add_argument("--poll", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL instead of SQLite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://localhost:{port}"
        db_url = args.postgres or f"sqlite:///{tmp}/bench.sqlite3"
        tokens, staff_token = prepare(db_url, args.patients, base)
        env = {**os.environ, "PATIENTAPP_DATABASE_URL": db_url, "PATIENTAPP_SECRET_KEY": "bench-secret-" * 4,
               "PATIENTAPP_PUBLIC_BASE_URL": base, "PATIENTAPP_ALLOW_LOCAL_ROOMS": "1", "PORT": str(port),
               "WEB_CONCURRENCY": str(args.workers), "PATIENTAPP_THREADS": str(args.threads),
               "PATIENTAPP_STATUS_POLL_SECONDS": str(int(args.poll)), "PATIENTAPP_LOG_LEVEL": "WARNING"}
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
            stats = asyncio.run(run(port, tokens, staff_token, args.poll, args.seconds, args.admits))
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        server_log = (Path(tmp) / "gunicorn.log").read_text()
        timeouts = server_log.count("WORKER TIMEOUT")
        problems = [line for line in server_log.splitlines() if "Error" in line or "error" in line]

    lat = stats["latencies"]
    result = {
        "database": "postgresql" if args.postgres else "sqlite",
        "patients": args.patients, "poll_seconds": args.poll, "seconds": round(stats["elapsed"], 1),
        "workers": args.workers, "threads": args.threads,
        "status_requests": len(lat), "throughput_rps": round(len(lat) / stats["elapsed"], 1),
        "status_p50_ms": round(pct(lat, 50) * 1000, 1), "status_p95_ms": round(pct(lat, 95) * 1000, 1),
        "status_p99_ms": round(pct(lat, 99) * 1000, 1), "errors": stats["errors"], "worker_timeouts": timeouts,
        "error_kinds": sorted({str(e): stats["error_statuses"].count(e) for e in stats["error_statuses"]}.items()),
        "admissions": len(stats["handoff"]), "handoff_redirects": stats["handoff_redirects"],
        "admit_to_handoff_p50_s": round(pct(stats["handoff"], 50), 2),
        "admit_to_handoff_p95_s": round(pct(stats["handoff"], 95), 2),
        "admit_to_handoff_max_s": round(max(stats["handoff"]), 2) if stats["handoff"] else None,
    }
    out = ROOT / "bench/results"
    out.mkdir(exist_ok=True)
    (out / f"waiting-room-{result['database']}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    for line in problems[:10]:
        print("server:", line[:300])


if __name__ == "__main__":
    main()
