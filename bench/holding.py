"""How to hold thousands of waiting pages on two cores: gunicorn's thread worker (a sleeping thread per
held request, today's design) against its gevent worker (a greenlet per held request), with the same
tiny Flask app (bench/holding_app.py) and the same client.

    .venv/bin/python bench/holding.py --held 5000

For each worker: open --held connections that each ask /hold (answered when news comes), wait until
all are in, then measure for --idle seconds the server's CPU and memory (RSS of all its processes) and
the latency of /ping asked one after another beside them; then send the news (/release) and time until
every held request has its answer. Loopback only; bounded in time.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from waiting_room import Connection, free_port  # noqa: E402  (a script beside this one)

TICKS = os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid] + [p for c in children for p in _tree(int(c))]


def rss_mb(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def start(worker: str, port: int, held: int) -> subprocess.Popen:
    # Both may keep held + 1,000 connections (gunicorn's default of 1,000 would queue the rest unseen).
    options = {"gthread": ["-k", "gthread", "--threads", str(held + 100)],
               "gevent": ["-k", "gevent"]}[worker] + ["--worker-connections", str(held + 1000)]
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
                               "--timeout", "120", "--keep-alive", "75", *options, "holding_app:app"],
                              cwd=ROOT / "bench", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            asyncio.run(Connection(port).request("GET", "/ping"))
            return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{worker} did not start")


async def run(worker: str, port: int, held: int, idle: float, pid: int) -> dict:
    answers: list[float] = []
    errors = 0
    in_flight = 0

    async def one(i: int):
        nonlocal errors, in_flight
        await asyncio.sleep(i * 0.002)  # 500 new connections a second
        connection = Connection(port)
        try:
            in_flight += 1
            status, _ = await connection.request("GET", "/hold?t=600")
            answers.append(time.monotonic())
            if status != 200:
                errors += 1
        except (OSError, asyncio.IncompleteReadError):
            errors += 1
        finally:
            connection.close()

    baseline = rss_mb(pid)  # before any request is held
    holders = [asyncio.create_task(one(i)) for i in range(held)]
    print(f"{worker}: opening {held} held requests", file=sys.stderr)
    await asyncio.sleep(held * 0.002 + 3)  # all asked, and a moment for the server to take them in
    cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
    pinger, pings = Connection(port), []
    while time.monotonic() - wall_before < idle:
        started = time.monotonic()
        await asyncio.wait_for(pinger.request("GET", "/ping"), timeout=10)
        pings.append((time.monotonic() - started) * 1000)
        await asyncio.sleep(0.05)
    cpu_idle = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
    memory = rss_mb(pid)
    released = time.monotonic()
    await pinger.request("POST", "/release")
    pinger.close()
    await asyncio.wait_for(asyncio.gather(*holders), timeout=120)
    pings.sort()
    return {"worker": worker, "held": held - errors - sum(a < released for a in answers), "errors": errors,
            "rss_mb": memory, "kb_per_held": (memory - baseline) * 1024 / held, "cpu_idle": cpu_idle,
            "ping_p50": pings[len(pings) // 2], "ping_p99": pings[int(len(pings) * 0.99)],
            "release_p50": (sorted(answers)[len(answers) // 2] - released) * 1000 if answers else None,
            "release_all": (max(answers) - released) * 1000 if answers else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--held", type=int, default=5000)
    parser.add_argument("--idle", type=float, default=20)
    parser.add_argument("--workers", default="gthread,gevent")
    args = parser.parse_args()
    rows = []
    for worker in args.workers.split(","):
        port = free_port()
        server = start(worker, port, args.held)
        try:
            rows.append(asyncio.run(run(worker, port, args.held, args.idle, server.pid)))
        finally:
            server.terminate()
            server.wait(30)
    print(f"\n| worker ({args.held:,} held requests) | held | errors | server RSS | added per held request "
          "| CPU while they wait | /ping p50 / p99 | news to first half / to all |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['worker']} | {r['held']:,} | {r['errors']} | {r['rss_mb']:.0f} MB | {r['kb_per_held']:.1f} KB "
              f"| {r['cpu_idle'] * 100:.1f} % of a core | {r['ping_p50']:.1f} / {r['ping_p99']:.1f} ms "
              f"| {r['release_p50']:.0f} / {r['release_all']:.0f} ms |")


if __name__ == "__main__":
    main()
