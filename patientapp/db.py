"""Database engine and sessions: SQLite by default, PostgreSQL to scale out."""
from __future__ import annotations

import fcntl
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

from flask import current_app, g, request
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


# Many gunicorn threads share one pool per process; a request holds a connection only briefly (held
# status requests give theirs back while they sleep). A request that cannot get one within
# pool_timeout gets a calm 503 (errors.py).
# hide_parameters: a failing statement's values (a label, a hash) never reach an exception message or a log (R50).
POOL = {"pool_size": 10, "max_overflow": 20, "pool_timeout": 10, "hide_parameters": True}
SQLITE_BUSY_SECONDS = 5
_WRITER = "patientapp.sqlite_writer"


class WriterGate:
    """Writers of a SQLite file take turns here before BEGIN IMMEDIATE.

    IMPORTANT: SQLite's busy handler is not fair. A waiting writer polls the lock with growing sleeps
    (up to 100 ms), so a steady stream of short writes starves it past busy_timeout (measured: 40
    threads writing 2 ms transactions, the slowest waited 4.97 s of its 5; 1,000 patients arriving
    got "database is locked"). Here a writer waits on a Python lock (threads of this process) and
    then on flock() of a file beside the database (other processes): both wake a waiter the moment
    the lock is free. SQLite's own lock is then always free when we ask for it.
    """

    def __init__(self, database: str | None):
        self._threads = threading.Lock()
        self._path = f"{database}-writer.lock" if database and database != ":memory:" else None
        self._fd: int | None = None
        self._pid: int | None = None

    def _file(self) -> int | None:
        if self._path is None:
            return None
        if self._pid != os.getpid():  # opened per process: a descriptor shared across fork locks nothing
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float) -> bool:
        if not self._threads.acquire(timeout=timeout):
            return False
        try:
            fd = self._file()
            if fd is not None:
                # Waits until another process's writer commits; it holds the lock only for its transaction.
                _flock_exclusive(fd)
        except OSError:
            pass  # no lock file (read-only folder): SQLite's busy handler still keeps us correct
        return True

    def release(self) -> None:
        try:
            if self._fd is not None and self._pid == os.getpid():
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        except OSError:
            pass
        finally:
            self._threads.release()


def _flock_exclusive(fd: int) -> None:
    """flock(LOCK_EX) that, under gevent, lets the worker's other greenlets run while it waits.

    IMPORTANT: a blocking flock() stops the whole gevent worker (thousands of held requests) until
    the other process's writer commits; asking without blocking and sleeping a millisecond between
    tries yields to the others instead. Threads block as before: a blocked thread stops no one.
    """
    if not _green():
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            time.sleep(0.001)


def _green() -> bool:
    """Running under gevent's monkey-patching (gunicorn's gevent worker): threads are greenlets."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


def make_engine(url: str) -> Engine:
    """Create an engine; on SQLite, set the pragmas that make it safe under concurrency (R62)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS}, **POOL)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # pysqlite's own implicit BEGIN would hide ours: we issue BEGIN ourselves below.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: the database stays
            # consistent after a power cut (the last moments' writes may be lost), and a commit
            # costs a fraction of a millisecond instead of an fsync (measured here: 0.3 vs 6 ms).
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        gate = WriterGate(engine.url.database)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            # IMPORTANT: a deferred transaction that reads and then writes can fail with
            # SQLITE_BUSY despite busy_timeout; writers therefore ask for IMMEDIATE up front.
            immediate = connection.get_execution_options().get("sqlite_immediate")
            if immediate and not connection.info.get(_WRITER):
                if not gate.acquire(SQLITE_BUSY_SECONDS):
                    raise OperationalError("BEGIN IMMEDIATE", None,
                                           sqlite3.OperationalError("database is locked: other writers kept it busy"))
                connection.info[_WRITER] = True
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        @event.listens_for(engine, "checkin")
        def _sqlite_release(_dbapi_connection, record):
            # Back in the pool means committed or rolled back (the pool's reset comes first).
            if record.info.pop(_WRITER, False):
                gate.release()

        @event.listens_for(engine, "close")
        def _sqlite_closed(_dbapi_connection, record):
            if record.info.pop(_WRITER, False):
                gate.release()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, **POOL)


class Database:
    """One engine and session factory per app."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # A writing request's sessions: every transaction begins as a writer (BEGIN IMMEDIATE on
        # SQLite), also one that starts after a commit or a rollback, such as the audit row written
        # after a refused admission. IMPORTANT: begun as a reader, that transaction reads (the
        # expired objects) and then writes, and fails at once with "database is locked" when another
        # writer committed in between (measured: 5 of 25 simultaneous admissions).
        self.writer_sessions = sessionmaker(self.engine.execution_options(sqlite_immediate=True),
                                            expire_on_commit=False)

    def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command

        command.upgrade(alembic_config(self.url), "head")

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def get_session(write: bool = False) -> Session:
    """The request's session. Requests that change things (POST…) write from their first query."""
    session = g.get("db_session")
    if session is None:
        database = current_app.extensions["patientapp.db"]
        if write or request.method not in ("GET", "HEAD", "OPTIONS"):
            session = database.writer_sessions()
            session.connection()
        else:
            session = database.sessions()
        g.db_session = session
    return session


def begin_write(session: Session) -> None:
    """Restart the session's transaction as a writing one (BEGIN IMMEDIATE on SQLite).

    IMPORTANT: a read transaction that then writes cannot wait for the lock on SQLite and fails
    with "database is locked"; mostly-reading requests call this only when they must write, and
    re-read what they write about (the rollback expires every loaded object).
    """
    session.rollback()
    session.connection(execution_options={"sqlite_immediate": True})


def close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
