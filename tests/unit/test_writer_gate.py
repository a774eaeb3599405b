"""SQLite writers take turns fairly (patientapp/db.py WriterGate), within and across processes (R62)."""
import subprocess
import sys
import threading

from sqlalchemy import text

from patientapp.db import make_engine


def _engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    return engine


def test_many_threads_write_without_database_is_locked(tmp_path):
    engine = _engine(tmp_path)
    errors = []

    def write():
        for _ in range(20):
            try:
                with engine.connect().execution_options(sqlite_immediate=True) as conn:
                    conn.execute(text("INSERT INTO t VALUES (1)"))
                    threading.Event().wait(0.001)  # a transaction that takes a moment
                    conn.commit()
            except Exception as error:  # noqa: BLE001
                errors.append(repr(error))

    threads = [threading.Thread(target=write) for _ in range(40)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM t")) == 800
    engine.dispose()


def test_a_writer_in_another_process_is_waited_for(tmp_path):
    engine = _engine(tmp_path)
    lock = f"{tmp_path / 'gate.sqlite3'}-writer.lock"
    done = tmp_path / "done"
    # Another process holds the writers' lock for a moment, as another gunicorn worker would, and
    # leaves a mark just before it lets go.
    with subprocess.Popen([sys.executable, "-c", (
            "import fcntl, os, pathlib, time\n"
            f"fd = os.open({lock!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(1.0)\n"
            f"pathlib.Path({str(done)!r}).write_text('x'); fcntl.flock(fd, fcntl.LOCK_UN)\n")],
            stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout.readline().strip() == "held"
        with engine.connect().execution_options(sqlite_immediate=True) as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))  # the transaction begins here
            assert done.exists()  # we got in only after the other process let go
            conn.commit()
    engine.dispose()


def test_readers_never_queue_behind_writers(tmp_path):
    engine = _engine(tmp_path)
    with engine.connect().execution_options(sqlite_immediate=True) as writer:
        writer.execute(text("INSERT INTO t VALUES (3)"))
        with engine.connect() as reader:  # WAL: a reader sees the last commit while a writer works
            assert reader.scalar(text("SELECT count(*) FROM t")) == 0
        writer.commit()
    engine.dispose()


GREEN_WAITER = r"""
from gevent import monkey
monkey.patch_all()
import fcntl, os, sys, time
import gevent
from patientapp import db

fd = os.open(sys.argv[1], os.O_RDWR)
ticks = []

def other_greenlet():  # a held request, say: it must keep running while the writer waits
    while True:
        ticks.append(1)
        gevent.sleep(0.01)

gevent.spawn(other_greenlet)
print("ready", flush=True)
sys.stdin.readline()  # the test process holds the lock, now for 0.5 s more
started = time.monotonic()
db._flock_exclusive(fd)  # the test process holds the lock for 0.5 s
print(round(time.monotonic() - started, 2), len(ticks), db._green())
"""


def test_under_gevent_a_writer_waiting_for_another_process_lets_the_worker_run(tmp_path):
    """Under gunicorn's gevent worker, a blocking flock() would stop every greenlet of the worker
    (thousands of held status requests) until the other process's writer commits."""
    import fcntl
    import os

    path = tmp_path / "gate.lock"
    path.touch()
    holder = os.open(path, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    waiter = subprocess.Popen([sys.executable, "-c", GREEN_WAITER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert waiter.stdout.readline().strip() == "ready"
    waiter.stdin.write("go\n")
    waiter.stdin.flush()
    threading.Event().wait(0.5)
    fcntl.flock(holder, fcntl.LOCK_UN)
    out, _ = waiter.communicate(timeout=30)
    waited, ticks, green = out.split()
    assert green == "True" and float(waited) >= 0.3
    # The other greenlet ran every 10 ms or so while the writer waited: the worker was not stopped.
    assert int(ticks) >= 10
    os.close(holder)
