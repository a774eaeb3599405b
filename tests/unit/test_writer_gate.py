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
