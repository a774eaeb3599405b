"""How many waiting patients the server holds, and how fast an admission reaches them.

Starts gunicorn with the repository's gunicorn.conf.py on a loopback port, with SQLite (default) or
PostgreSQL (--postgres URL); creates the invitations; every simulated patient opens its link, knocks
and then asks /api/visit/status as the waiting page does (patientapp/static/js/patient/waiting-room.js):
with `?seen=<version>`, at once again after a held or changed answer, after STATUS_POLL_SECONDS
(with jitter) after a quick unchanged one, each patient over its own keep-alive HTTP/1.1 connection.

The run: patients open their links evenly over --ramp seconds, then the waiting room is held full
for --steady seconds (default 300: five minutes with all --patients waiting). Clinicians let
--admits patients in, evenly over the run, and each patient let in is replaced by a new arrival, so
the number waiting stays at --patients. We time from the admit's answer to the patient's answer that
says "admitted" (after which the page leaves for the room). --dashboards staff dashboards refresh
every 3 s alongside. Reports throughput, p50/p99 latency and errors per kind of request.

Loopback only, bounded in count (--patients + --admits invitations) and time (--ramp + --steady,
then at most one request time-out); stops by itself. --max-load waits for a quiet machine first.

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
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
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
    from patientapp import create_app, invitations, staff_access
    from patientapp.models import Clinic, Staff, utcnow

    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "bench-secret-" * 4, "PUBLIC_BASE_URL": base,
                      "ALLOW_LOCAL_ROOMS": True})
    database = app.extensions["patientapp.db"]
    database.upgrade()
    tokens, staff_tokens = [], []
    clinics = max(1, clinics)
    with app.app_context(), database.sessions() as session, session.begin():
        start = datetime.now(UTC) + timedelta(minutes=5)
        for c in range(clinics):
            mine = range(c, patients, clinics)
            clinic = Clinic(slug=f"bench-{c}-{random.randrange(10**9)}", display_name=f"Bench {c}",
                            phone="+4712345678", time_zone="Europe/Oslo", room_settings={"rooms": [
                                {"key": f"r{i}", "label": f"R{i}", "provider": "template",
                                 "template": base + f"/dev/video-room?r={i}&name={{name}}"} for i in mine]})
            session.add(clinic)
            for i in mine:
                invitation, token = invitations.create_invitation(session, clinic, start,
                                                                  start + timedelta(minutes=30), "nb")
                invitation.room_ref = f"r{i}"  # one room each: admissions never wait for a busy room
                tokens.append((token, c))
            staff = Staff(clinic=clinic, email=f"bench-{c}-{random.randrange(10**9)}@example.no",
                          display_name="Bench", role="admin", user_handle=staff_access.new_user_handle())
            session.add(staff)
            session.flush()
            staff_tokens.append(staff_access.start_session(session, staff, utcnow()))
    database.dispose()
    random.shuffle(tokens)
    return tokens, staff_tokens


class Run:
    """What every simulated client shares: the clock, the waiting room and the tally."""

    def __init__(self, port: int, poll: float, seconds: float, ramp: float, reserve: list[tuple[str, int]]):
        self.port, self.poll = port, poll
        self.started = time.monotonic()
        self.until = self.started + seconds
        self.ramp_until = self.started + ramp
        self.reserve = reserve  # invitations for the patients who arrive in place of those let in
        self.latencies: dict[str, list[float]] = defaultdict(list)  # kind of request -> seconds, answered ones
        self.errors: Counter = Counter()  # (kind, what) -> count
        self.ready: list[tuple[int, int]] = []  # (knock id, clinic) of patients waiting, for the clinicians
        self.admitted_at: dict[int, tuple[float, bool]] = {}  # knock id -> when the admit's answer came
        self.admitting: dict[int, float] = {}  # knock id -> when its admit was sent
        self.slow_quick: list[int] = []  # seconds into the run
        self.from_sent: list[float] = []  # admit sent -> the patient's page says "admitted"
        self.learned_early: set[int] = set()  # patients who learned before the admit's own answer came
        self.handoff: dict[str, list[float]] = {"all": [], "ramp": [], "steady": []}
        self.waiting = 0  # patients knocked and not yet let in
        self.waiting_samples: list[int] = []  # during the steady phase, once a second
        self.load_samples: list[float] = []  # the 1-minute load average, once a second
        self.tasks: list[asyncio.Task] = []
        self.sem = asyncio.Semaphore(20)  # patients arrive a few at a time, not all in the same millisecond

    def learned(self, knock_id: int) -> None:
        """The patient's page says "admitted": the hand-off time, from the admit's answer (0 if earlier)."""
        self.from_sent.append(time.monotonic() - self.admitting[knock_id])
        if knock_id in self.admitted_at:
            admitted, during_ramp = self.admitted_at.pop(knock_id)
            self._handoff(time.monotonic() - admitted, during_ramp)
        else:
            self.learned_early.add(knock_id)

    def admit_answered(self, knock_id: int) -> None:
        now = time.monotonic()
        if knock_id in self.learned_early:  # the news outran the admit's own answer
            self.learned_early.discard(knock_id)
            self._handoff(0.0, now < self.ramp_until)
        else:
            self.admitted_at[knock_id] = (now, now < self.ramp_until)

    def _handoff(self, seconds: float, during_ramp: bool) -> None:
        self.handoff["all"].append(seconds)
        self.handoff["ramp" if during_ramp else "steady"].append(seconds)

    async def ask(self, conn: Connection, kind: str, method: str, path: str, expect: int | tuple = 200,
                  body: bytes = b"", headers: dict | None = None, timeout: float = 45):
        """One request, timed and tallied under `kind`; None if it failed (counted as an error)."""
        started = time.monotonic()
        try:
            status, data = await asyncio.wait_for(conn.request(method, path, body, headers), timeout=timeout)
        except (TimeoutError, ConnectionError, OSError, asyncio.IncompleteReadError) as error:
            self.errors[(kind, type(error).__name__)] += 1
            conn.close()
            return None
        elapsed = time.monotonic() - started
        if status not in ((expect,) if isinstance(expect, int) else expect):
            self.errors[(kind, str(status))] += 1
            return None
        return status, data, elapsed


async def patient(run: Run, token: str, clinic: int, arrive_after: float = 0.0):
    await asyncio.sleep(arrive_after)  # patients open their links over the ramp, not all at once
    conn = Connection(run.port)
    try:
        async with run.sem:
            answer = await run.ask(conn, "open link", "GET", f"/i/{token}", expect=303)
            if answer:
                run.latencies["open link"].append(answer[2])
                answer = await run.ask(conn, "waiting page", "GET", "/visit/wait")
            if answer:
                run.latencies["waiting page"].append(answer[2])
                csrf = re.search(rb'name="csrf-token" content="([^"]+)"', answer[1]).group(1).decode()
                answer = await run.ask(conn, "knock", "POST", "/api/visit/knock", 201,
                                       json.dumps({"consent_version": "2026-11"}).encode(),
                                       {"Content-Type": "application/json", "X-CSRFToken": csrf})
        if not answer:
            return
        run.latencies["knock"].append(answer[2])
        knock_id = json.loads(answer[1])["knock"]
        run.waiting += 1
        run.ready.append((knock_id, clinic))
        version = None
        while time.monotonic() < run.until:
            answer = await run.ask(conn, "status", "GET", "/api/visit/status" + (f"?seen={version}" if version else ""))
            if not answer:
                await asyncio.sleep(run.poll)
                continue
            _status, data, elapsed = answer
            news = json.loads(data)
            run.latencies["status (held)" if news.get("held") else "status"].append(elapsed)
            if not news.get("held") and elapsed > 1:  # when in the run a quick answer was slow
                run.slow_quick.append(round(time.monotonic() - run.started))
            if news.get("state") == "admitted" and knock_id in run.admitting:
                run.learned(knock_id)
                run.waiting -= 1
                went = await run.ask(conn, "hand-off", "GET", "/visit/go", expect=303)
                if went:
                    run.latencies["hand-off"].append(went[2])
                if run.reserve and time.monotonic() < run.until - 15:
                    # Someone else arrives: the waiting room stays as full as it was.
                    run.tasks.append(asyncio.create_task(patient(run, *run.reserve.pop())))
                return
            changed = news.get("version") != version
            version = news.get("version")
            if news.get("wait") and (changed or (news.get("held") and elapsed >= 1)):
                await asyncio.sleep(0.05 + random.random() * 0.25)
            else:
                await asyncio.sleep(run.poll * (0.8 + random.random() * 0.4))
        run.waiting -= 1
    finally:
        conn.close()


async def dashboard(run: Run, staff_token: str, every: float = 3.0):
    """A staff member's dashboard, refreshing itself as dashboard.js does: with the moment of the rows
    it shows, answered "unchanged" while nothing happened in the clinic."""
    conn = Connection(run.port)
    conn.cookies["__Host-staff"] = staff_token
    await asyncio.sleep(random.random() * every)
    as_of = None
    while time.monotonic() < run.until:
        answer = await run.ask(conn, "dashboard", "GET",
                               "/staff/api/dashboard" + (f"?asOf={as_of}" if as_of else ""), timeout=30)
        if answer:
            board = json.loads(answer[1])
            run.latencies["dashboard, unchanged" if board.get("unchanged") else "dashboard"].append(answer[2])
            as_of = board.get("asOf")
        await asyncio.sleep(every)
    conn.close()


async def staff(run: Run, staff_tokens: list[str], count: int, every: float):
    """Clinicians let patients in one by one, evenly over the run, each through their own clinic's workspace."""
    conns = {}

    async def signed_in(clinic):
        if clinic not in conns:
            conn = Connection(run.port)
            conn.cookies["__Host-staff"] = staff_tokens[clinic]
            status, page = await conn.request("GET", "/staff/")
            conns[clinic] = (conn, re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode())
        return conns[clinic]

    await asyncio.sleep(5)
    done = 0
    while done < count and time.monotonic() < run.until - 10:
        if not run.ready:
            await asyncio.sleep(0.5)
            continue
        done += 1
        started = time.monotonic()
        knock_id, clinic = run.ready.pop(random.randrange(len(run.ready)))
        conn, csrf = await signed_in(clinic)
        run.admitting[knock_id] = time.monotonic()
        answer = await run.ask(conn, "admit", "POST", f"/staff/api/knocks/{knock_id}/admit", 200, b"{}",
                               {"Content-Type": "application/json", "X-CSRFToken": csrf}, timeout=30)
        if answer:
            run.latencies["admit"].append(answer[2])
            run.admit_answered(knock_id)
        await asyncio.sleep(max(0.0, every - (time.monotonic() - started)))
    for conn, _csrf in conns.values():
        conn.close()


async def count_waiting(run: Run):
    """Once a second: how many wait (after the ramp), and how loaded the machine is (its other work shows)."""
    while time.monotonic() < run.until:
        await asyncio.sleep(1)
        if time.monotonic() >= run.ramp_until:
            run.waiting_samples.append(run.waiting)
        run.load_samples.append(load_average())


def pct(values, p):
    return statistics.quantiles(values, n=100)[p - 1] if len(values) >= 2 else (values[0] if values else float("nan"))


async def simulate(port, tokens, reserve, staff_tokens, args, seconds) -> Run:
    run = Run(port, args.poll, seconds, args.ramp, reserve)
    every = args.admit_every or max(1.0, (seconds - 15) / max(1, args.admits))
    await asyncio.gather(*(patient(run, t, c, args.ramp * i / max(1, len(tokens))) for i, (t, c) in enumerate(tokens)),
                         staff(run, staff_tokens, args.admits, every), count_waiting(run),
                         *(dashboard(run, staff_tokens[i % len(staff_tokens)]) for i in range(args.dashboards)))
    while run.tasks:  # the patients who came in place of those let in
        tasks, run.tasks = run.tasks, []
        await asyncio.gather(*tasks)
    run.elapsed = time.monotonic() - run.started
    return run


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def wait_for_quiet(limit: float, patience: float) -> float:
    """Other work on the same two cores shows up in every figure: wait for the 1-minute load to drop."""
    deadline = time.monotonic() + patience
    while (load := load_average()) >= limit and time.monotonic() < deadline:
        print(f"load average {load:.2f} >= {limit}: waiting 30 s", file=sys.stderr)
        time.sleep(30)
    return load


class ConnectionCount(threading.Thread):
    """PostgreSQL only: the most connections to the benchmark's database at once, sampled every second."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        from sqlalchemy import create_engine

        self.engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        self.peak = 0
        self.max_connections = 0
        self.interruptions: list[str] = []  # the server went away under us (someone restarted it)
        self.stopped = threading.Event()

    def run(self):
        from sqlalchemy import text

        while not self.stopped.wait(1.0):
            try:
                with self.engine.connect() as conn:
                    self.max_connections = int(conn.execute(text("SHOW max_connections")).scalar())
                    while not self.stopped.wait(1.0):
                        others = conn.execute(text("SELECT count(*) - 1 FROM pg_stat_activity "
                                                   "WHERE datname = current_database()"))
                        self.peak = max(self.peak, int(others.scalar()))
                        conn.rollback()
            except Exception as error:  # noqa: BLE001 - a restarted server: count again once it is back
                self.interruptions.append(type(error).__name__)
        self.engine.dispose()


class ServerUsage(threading.Thread):
    """The gunicorn master's and workers' memory (RSS) and CPU, from /proc, once a second."""

    TICKS = os.sysconf("SC_CLK_TCK")
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int, float]] = []  # (monotonic, RSS bytes, CPU seconds so far)
        self.stopped = threading.Event()

    def processes(self) -> list[int]:
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [self.pid] + [int(p) for p in children.read_text().split()]
        except OSError:
            return [self.pid]

    def sample(self) -> tuple[float, int, float]:
        rss, cpu = 0, 0.0
        for pid in self.processes():
            try:
                rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self.PAGE
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                cpu += (int(fields[11]) + int(fields[12])) / self.TICKS  # utime + stime
            except (OSError, IndexError, ValueError):
                continue  # a worker restarting
        return time.monotonic(), rss, cpu

    def run(self):
        while not self.stopped.wait(1.0):
            self.samples.append(self.sample())

    def between(self, start: float, end: float) -> dict:
        """RSS (mean, peak) and CPU (share of one core) between two monotonic times."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return {}
        cpu_share = (inside[-1][2] - inside[0][2]) / (inside[-1][0] - inside[0][0])
        return {"rss_mean_mb": round(statistics.mean(s[1] for s in inside) / 2**20, 1),
                "rss_peak_mb": round(max(s[1] for s in inside) / 2**20, 1),
                "cpu_of_one_core": round(cpu_share, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=1000, help="patients waiting at once once the ramp is over")
    parser.add_argument("--ramp", type=float, default=120,
                        help="patients open their links evenly over this many seconds (0: all at once, 20 at a time)")
    parser.add_argument("--steady", type=float, default=300,
                        help="seconds the full waiting room is held after the ramp")
    parser.add_argument("--seconds", type=int, default=0, help="the whole run, if set: overrides --steady")
    parser.add_argument("--admits", type=int, default=100, help="patients let in (and replaced by new arrivals)")
    parser.add_argument("--admit-every", type=float, default=0, help="seconds between admits (0: evenly over the run)")
    parser.add_argument("--poll", type=float, default=3.0)
    parser.add_argument("--hold", type=int, default=20, help="STATUS_HOLD_SECONDS; 0 for plain polling")
    parser.add_argument("--dashboards", type=int, default=20,
                        help="clinics the patients are spread over, each with one staff dashboard open")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gevent", help="gunicorn's worker: gevent (default) or gthread")
    parser.add_argument("--threads", type=int, default=600, help="gthread only: threads per worker")
    parser.add_argument("--connections", type=int, default=6000, help="gevent only: connections per worker")
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL instead of SQLite")
    parser.add_argument("--rate-limits", action="store_true",
                        help="keep the rate limits on, counted in --redis (the per-address link limit raised: "
                             "every patient here shares 127.0.0.1)")
    parser.add_argument("--redis", default=os.environ.get("PATIENTAPP_REDIS_URL") or "redis://127.0.0.1:6379/0",
                        help="Redis for the rate-limit counts, shared by the workers as in production")
    parser.add_argument("--max-load", type=float, default=0,
                        help="first wait (polling every 30 s) until the 1-minute load average is below this")
    parser.add_argument("--max-load-wait", type=float, default=3600, help="…but no longer than this many seconds")
    args = parser.parse_args()
    seconds = args.seconds or args.ramp + args.steady

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://localhost:{port}"
        db_url = args.postgres or f"sqlite:///{tmp}/bench.sqlite3"
        everyone, staff_tokens = prepare(db_url, args.patients + args.admits, base, args.dashboards)
        tokens, reserve = everyone[:args.patients], everyone[args.patients:]
        env = {**os.environ, "PATIENTAPP_DATABASE_URL": db_url, "PATIENTAPP_SECRET_KEY": "bench-secret-" * 4,
               "PATIENTAPP_PUBLIC_BASE_URL": base, "PATIENTAPP_ALLOW_LOCAL_ROOMS": "1", "PORT": str(port),
               "WEB_CONCURRENCY": str(args.workers), "PATIENTAPP_THREADS": str(args.threads),
               "PATIENTAPP_WORKER_CLASS": args.worker_class, "PATIENTAPP_WORKER_CONNECTIONS": str(args.connections),
               "PATIENTAPP_STATUS_POLL_SECONDS": str(int(args.poll)),
               "PATIENTAPP_STATUS_HOLD_SECONDS": str(args.hold), "PATIENTAPP_LOG_LEVEL": "WARNING",
               # Nobody's knock lapses during the run (15 min by default): they all wait to the end.
               "PATIENTAPP_KNOCK_LAPSE_SECONDS": str(int(seconds) + 300),
               # Thousands of requests from one address: rate limits (R45) would answer most with 429.
               "PATIENTAPP_RATE_LIMITS": "1" if args.rate_limits else "0",
               "PATIENTAPP_REDIS_URL": args.redis, "PATIENTAPP_RATE_LIMIT_PREFIX": f"bench-{port}",
               # With limits on, only the per-address ones are out of reach; per visit they stay as deployed.
               "PATIENTAPP_RATE_LIMIT_LINK": "1000000/minute", "PATIENTAPP_RATE_LIMIT_ENROL": "1000000/minute"}
        load_before = wait_for_quiet(args.max_load, args.max_load_wait) if args.max_load else load_average()
        log = open(Path(tmp) / "gunicorn.log", "w")
        server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py",
                                   "patientapp:create_app()"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        connections = ConnectionCount(db_url) if args.postgres else None
        usage = ServerUsage(server.pid)
        client_cpu_before = time.process_time()
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            if connections:
                connections.start()
            time.sleep(3)  # the workers booted: their memory before anyone waits
            idle = usage.sample()
            usage.start()
            run = asyncio.run(simulate(port, tokens, reserve, staff_tokens, args, seconds))
            client_cpu = time.process_time() - client_cpu_before
        except BaseException:
            log.flush()
            print((Path(tmp) / "gunicorn.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            load_after = load_average()
            usage.stopped.set()
            if connections:
                connections.stopped.set()
                connections.join(timeout=5)
            server.terminate()
            server.wait(timeout=30)
            log.close()
        server_log = (Path(tmp) / "gunicorn.log").read_text()
        timeouts = server_log.count("WORKER TIMEOUT")
        # The log is JSON lines (patientapp/logs.py); anything from WARNING up, or not JSON, is worth a look.
        problems = [line for line in server_log.splitlines()
                    if not line.startswith("{") or any(f'"level": "{level}"' in line
                                                       for level in ("WARNING", "ERROR", "CRITICAL"))]

    ms = lambda seconds_: round(seconds_ * 1000, 1)  # noqa: E731
    kinds = {}
    for kind in ("open link", "waiting page", "knock", "status", "status (held)", "hand-off", "dashboard",
                 "dashboard, unchanged", "admit"):
        lat = run.latencies.get(kind, [])
        errors = sum(n for (k, _what), n in run.errors.items() if k == kind)
        kinds[kind] = {"requests": len(lat) + errors, "per_second": round((len(lat) + errors) / run.elapsed, 1),
                       "p50_ms": ms(pct(lat, 50)), "p95_ms": ms(pct(lat, 95)), "p99_ms": ms(pct(lat, 99)),
                       "max_ms": ms(max(lat, default=float("nan"))), "over_1s": sum(x > 1 for x in lat),
                       "errors": errors}
    requests = sum(k["requests"] for k in kinds.values())
    handoff = run.handoff
    result = {
        "database": "postgresql" if args.postgres else "sqlite",
        "patients": args.patients, "ramp_seconds": args.ramp, "steady_seconds": round(seconds - args.ramp, 1),
        "seconds": round(run.elapsed, 1), "dashboards": args.dashboards, "poll_seconds": args.poll,
        "hold_seconds": args.hold, "workers": args.workers, "worker_class": args.worker_class,
        "threads": args.threads if args.worker_class == "gthread" else None,
        "connections": args.connections if args.worker_class == "gevent" else None,
        "load_average_before": load_before, "load_average_after": load_after,
        "load_average_max_during": max(run.load_samples, default=load_after),
        "waiting_during_steady_min": min(run.waiting_samples, default=0),
        "waiting_during_steady_max": max(run.waiting_samples, default=0),
        "requests": requests, "throughput_rps": round(requests / run.elapsed, 1),
        "errors": sum(run.errors.values()),
        "error_kinds": {f"{kind}: {what}": n for (kind, what), n in sorted(run.errors.items())},
        "worker_timeouts": timeouts,
        "kinds": kinds,
        "admissions": len(handoff["all"]),
        "handoff_p50_s": round(pct(handoff["all"], 50), 2), "handoff_p95_s": round(pct(handoff["all"], 95), 2),
        "handoff_max_s": round(max(handoff["all"]), 2) if handoff["all"] else None,
        "admissions_during_ramp": len(handoff["ramp"]), "handoff_during_ramp_p95_s": round(pct(handoff["ramp"], 95), 2),
        "admissions_after_ramp": len(handoff["steady"]),
        "handoff_after_ramp_p95_s": round(pct(handoff["steady"], 95), 2),
        "admit_sent_to_patient_p50_s": round(pct(run.from_sent, 50), 3),
        "admit_sent_to_patient_p95_s": round(pct(run.from_sent, 95), 3),
        "slow_quick_status_at_seconds": run.slow_quick[:50],
        "client_cpu_of_one_core": round(client_cpu / run.elapsed, 3),
    }
    steady = usage.between(run.ramp_until, run.until)
    if steady:
        waiting = statistics.mean(run.waiting_samples) if run.waiting_samples else args.patients
        added_mb = steady["rss_mean_mb"] - idle[1] / 2**20
        result.update(server_idle_rss_mb=round(idle[1] / 2**20, 1), server_steady=steady,
                      server_kb_per_waiting_patient=round(added_mb * 1024 / waiting, 1),
                      server_cpu_ms_per_waiting_patient_per_minute=round(
                          steady["cpu_of_one_core"] * 60_000 / waiting, 2))
    if connections:
        result.update(pg_connections_peak=connections.peak, pg_max_connections=connections.max_connections,
                      pg_connection_lost=len(connections.interruptions))
    out = ROOT / "bench/results"
    out.mkdir(exist_ok=True)
    (out / f"waiting-room-{result['database']}-{args.patients}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print("\n| request | requests | per second | p50 | p95 | p99 | max | over 1 s | errors |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for kind, k in kinds.items():
        print(f"| {kind} | {k['requests']:,} | {k['per_second']} | {k['p50_ms']:,} ms | {k['p95_ms']:,} ms "
              f"| {k['p99_ms']:,} ms | {k['max_ms']:,} ms | {k['over_1s']} | {k['errors']} |")
    for line in problems[:10]:
        print("server:", line[:300])


if __name__ == "__main__":
    main()
