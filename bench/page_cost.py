"""What a page costs to serve: the landing page and a public guide against a bare Flask route
returning a 10 KB string (bench/bare_app.py), each under gunicorn with the repository's
gunicorn.conf.py, measured one after the other in one run on this machine.

    .venv/bin/python bench/page_cost.py               # 15 s per page, 32 connections from 2 processes

Each client process keeps its connections open (HTTP/1.1 keep-alive) and asks again as soon as an
answer is in; the figure is answers per second over the window, and the ratio is the page's against
the bare route's. The landing page is asked with a patient's session cookie (the SMS link opened
once). Loopback only; bounded in time.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from waiting_room import Connection, free_port  # noqa: E402  (a script beside this one)


async def _hammer(port: int, path: str, cookies: dict, connections: int, seconds: float) -> tuple[int, int]:
    done = errors = 0
    deadline = time.monotonic() + seconds

    async def one():
        nonlocal done, errors
        connection = Connection(port)
        connection.cookies = dict(cookies)
        while time.monotonic() < deadline:
            try:
                status, _ = await connection.request("GET", path)
            except (OSError, asyncio.IncompleteReadError):
                errors += 1
                connection.close()
                continue
            if status == 200:
                done += 1
            else:
                errors += 1
        connection.close()

    await asyncio.gather(*(one() for _ in range(connections)))
    return done, errors


def _client(args) -> tuple[int, int]:
    return asyncio.run(_hammer(*args))


def measure(port: int, path: str, cookies: dict, connections: int, processes: int, seconds: float) -> dict:
    each = max(1, connections // processes)
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        started = time.perf_counter()
        cpu = time.process_time()
        results = pool.map(_client, [(port, path, cookies, each, seconds)] * processes)
        elapsed = time.perf_counter() - started
    done, errors = sum(r[0] for r in results), sum(r[1] for r in results)
    return {"rps": done / elapsed, "errors": errors, "elapsed": elapsed, "parent_cpu": time.process_time() - cpu}


def start(app_spec: str, port: int, env: dict, log: Path) -> subprocess.Popen:
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", app_spec],
                              cwd=ROOT, env={**env, "PORT": str(port)}, stdout=log.open("w"),
                              stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            asyncio.run(Connection(port).request("GET", "/healthz" if "patientapp" in app_spec else "/"))
            return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{app_spec} did not start: {log.read_text()[-2000:]}")


def prepare(db_url: str) -> str:
    from patientapp import create_app, invitations
    from patientapp.models import Clinic, utcnow

    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "bench-secret-" * 4})
    database = app.extensions["patientapp.db"]
    database.upgrade()
    with database.sessions() as session, session.begin():
        clinic = Clinic(slug="bench-pages", display_name="Nordby helsesenter", phone="+4712345678",
                        time_zone="Europe/Oslo", room_settings={})
        session.add(clinic)
        session.flush()
        start_at = utcnow() + timedelta(hours=1)
        _, token = invitations.create_invitation(session, clinic, start_at, start_at + timedelta(minutes=20), "nb")
    database.dispose()
    return token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'pages.sqlite3'}"
        token = prepare(db_url)
        app_port, bare_port = free_port(), free_port()
        env = {**os.environ, "PATIENTAPP_DATABASE_URL": db_url, "PATIENTAPP_SECRET_KEY": "bench-secret-" * 4,
               "PATIENTAPP_PUBLIC_BASE_URL": f"http://localhost:{app_port}", "PATIENTAPP_RATE_LIMITS": "0",
               "PATIENTAPP_LOG_LEVEL": "WARNING"}
        servers = [start("patientapp:create_app()", app_port, env, Path(tmp) / "app.log"),
                   start("bare_app:app", bare_port, {**env, "PYTHONPATH": str(ROOT / "bench")}, Path(tmp) / "bare.log")]
        try:
            opener = Connection(app_port)
            status, _ = asyncio.run(opener.request("GET", f"/i/{token}"))
            assert status in (302, 303), status
            cookies = dict(opener.cookies)
            rows = {}
            for name, port, path, jar in [("bare Flask route, 10 KB", bare_port, "/", {}),
                                          ("landing page /visit (nb)", app_port, "/visit", cookies),
                                          ("guide /guide/no-sound (nb)", app_port, "/guide/no-sound?lang=nb", {})]:
                measure(port, path, jar, args.connections, args.processes, 2)  # warm-up
                rows[name] = measure(port, path, jar, args.connections, args.processes, args.seconds)
        finally:
            for server in servers:
                server.terminate()
                server.wait(10)
    bare = rows["bare Flask route, 10 KB"]["rps"]
    print(f"\n| page ({args.connections} connections, {args.processes} client processes, {args.seconds:.0f} s) "
          "| answers per second | against the bare route | errors |")
    print("|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['rps']:,.0f} | {row['rps'] / bare:.2f}× | {row['errors']} |")


if __name__ == "__main__":
    main()
