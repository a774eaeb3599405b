"""Shared fixtures: the app on SQLite and/or PostgreSQL, a Flask client, and invitation factories.

Every database-backed test runs once per backend (`--db=sqlite|postgresql|all`, default all): a
fresh SQLite file or a fresh PostgreSQL database per run, migrated with Alembic, emptied between tests.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get(
    "PATIENTAPP_TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser):
    parser.addoption("--db", default="all", choices=("all",) + BACKENDS,
                     help="which database backends to run the database tests on")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--db")
        backends = BACKENDS if chosen == "all" else (chosen,)
        if metafunc.definition.get_closest_marker("one_backend"):
            # Pages that never touch the database need not be proven twice.
            backends = backends[:1]
        if metafunc.definition.get_closest_marker("postgresql_only"):
            # Several app hosts, or the database server going away: PostgreSQL's cases only (R62).
            backends = tuple(b for b in backends if b == "postgresql")
        metafunc.parametrize("backend", backends, scope="session", indirect=True)


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the catalogues once, so a fresh clone's tests see every language."""
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "compile",
                    "-d", str(ROOT / "patientapp/translations")], check=True)


@pytest.fixture(scope="session")
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    name = "patientapp_test_" + secrets.token_hex(4)
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-" + "x" * 32,
    "PUBLIC_BASE_URL": "http://localhost",
    # The stand-in video room on this server (/dev/video-room) and http://localhost rooms.
    "ALLOW_LOCAL_ROOMS": True,
    "EXTRA_HOSTS": "127.0.0.1",
    # Thousands of requests from 127.0.0.1: rate limits are off unless a test turns them on.
    "RATE_LIMITS": False,
    "CODE_ANSWER_SECONDS": 0,  # a typed code's answer waits this long; the tests of that set their own
}


@pytest.fixture(scope="session")
def session_app(database_url, tmp_path_factory):
    from patientapp import create_app

    instance = tmp_path_factory.mktemp("instance")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})
    # Every whole page any test gets is held to the page invariants (tests/pages.py).
    from tests.pages import make_checking_client
    app.test_client_class = make_checking_client(app.test_client_class or FlaskClient)
    # A route that fails, for the generic 500 page (R43); only in tests.
    app.add_url_rule("/__test/boom", "boom", lambda: 1 / 0)
    app.instance_path = str(instance)
    app.extensions["patientapp.db"].upgrade()
    yield app
    app.extensions["patientapp.db"].dispose()


@pytest.fixture
def app(session_app):
    """The session's app with empty tables and its configuration restored after the test."""
    from patientapp.models import Base

    saved = dict(session_app.config)
    engine = session_app.extensions["patientapp.db"].engine
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    yield session_app
    session_app.config.clear()
    session_app.config.update(saved)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    """A SQLAlchemy session on the test database."""
    with app.extensions["patientapp.db"].sessions() as session:
        yield session


class Invitations:
    """Creates clinics and invitations for a test; returns the raw token as a patient would get it."""

    def __init__(self, app):
        self.app = app

    def create(self, *, language="nb", starts_in=timedelta(hours=2), duration=timedelta(minutes=30),
               state=None, label="AB", clinic_name="Nordby helsesenter", phone="+4712345678",
               room_settings=None):
        from sqlalchemy import select

        from patientapp import invitations
        from patientapp.models import Clinic

        # A writer from the start: a read that turns into a write while a live server writes
        # would get "database is locked" on SQLite (the app's own writers do the same).
        with self.app.extensions["patientapp.db"].writer_sessions() as session, session.begin():
            clinic = session.scalar(select(Clinic).where(Clinic.slug == "test"))
            if clinic is None:
                clinic = Clinic(slug="test", display_name=clinic_name, phone=phone,
                                time_zone="Europe/Oslo", room_settings={})
                session.add(clinic)
            if room_settings is not None:
                clinic.room_settings = room_settings
            start = datetime.now(UTC) + starts_in
            invitation, token = invitations.create_invitation(session, clinic, start, start + duration,
                                                              language, label=label)
            if state:
                invitation.state = state
            return invitation, token


def template_room_clinic(db, room_host: str, key: str = "stand-in", label: str = "Stand-in"):
    """The clinic "test" with one room of the template provider: admitted patients go to the
    development stand-in video room at `room_host`."""
    from patientapp.models import Clinic

    clinic = Clinic(slug="test", display_name="Nordby helsesenter", phone="+4712345678", time_zone="Europe/Oslo",
                    room_settings={"rooms": [{"key": key, "label": label, "provider": "template",
                                              "template": room_host + "/dev/video-room?name={name}&lang={lang}"}]})
    db.add(clinic)
    db.commit()
    return clinic


def staff_session(db, clinic_id: int, role: str = "admin", email: str | None = None, **fields):
    """A staff member of the clinic, signed in as after a passkey sign-in: (the staff member, their
    session token, which is the `__Host-staff` cookie's value)."""
    from patientapp import staff_access
    from patientapp.models import Staff, utcnow

    person = Staff(clinic_id=clinic_id, email=email or f"{role}-{utcnow().timestamp()}@example.no",
                   display_name=fields.pop("display_name", role.title()), role=role,
                   user_handle=staff_access.new_user_handle(), **fields)
    db.add(person)
    db.flush()
    token = staff_access.start_session(db, person, utcnow())
    db.commit()
    return person, token


@pytest.fixture
def invitation_factory(app):
    return Invitations(app)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def html_without_nonce(body: bytes) -> str:
    import re

    return re.sub(r'nonce="[^"]+"', 'nonce=""', body.decode())


