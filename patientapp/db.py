"""Database engine and sessions: SQLite by default, PostgreSQL to scale out."""
from __future__ import annotations

from pathlib import Path

from flask import current_app, g, request
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str) -> Engine:
    """Create an engine; on SQLite, set the pragmas that make it safe under concurrency (R62)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 5})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # pysqlite's own implicit BEGIN would hide ours: we issue BEGIN ourselves below.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            # IMPORTANT: a deferred transaction that reads and then writes can fail with
            # SQLITE_BUSY despite busy_timeout; writers therefore ask for IMMEDIATE up front.
            immediate = connection.get_execution_options().get("sqlite_immediate")
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


class Database:
    """One engine and session factory per app."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

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
        session = current_app.extensions["patientapp.db"].sessions()
        if write or request.method not in ("GET", "HEAD", "OPTIONS"):
            session.connection(execution_options={"sqlite_immediate": True})
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
