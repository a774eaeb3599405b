"""Demo data, and a throwaway server for scripts (benchmarks, screenshots) and browser tests."""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select
from werkzeug.serving import make_server

from . import audit, i18n, invitations, links, participants, paths, rooms, staff_access
from .models import Clinic, Staff, utcnow

DEMO_CLINIC = {
    "slug": "demo",
    "display_name": "Nordby helsesenter",
    # Numbers starting with 1 are not subscriber numbers in Norway: this one reaches nobody.
    "phone": "+4712345678",
    "time_zone": "Europe/Oslo",
}


def create_demo(now: datetime | None = None) -> list[dict]:
    """A demo clinic and one invitation per language, starting within the next half hour; the Somali
    patient's appointment has an interpreter and a home-care nurse too (participants.py)."""
    now = now or datetime.now(UTC)
    database = current_app.extensions["patientapp.db"]
    with database.sessions() as session, session.begin():
        clinic = session.scalar(select(Clinic).where(Clinic.slug == DEMO_CLINIC["slug"]))
        if clinic is None:
            clinic = Clinic(**DEMO_CLINIC, room_settings={})
            session.add(clinic)
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        if current_app.config["ALLOW_LOCAL_ROOMS"]:
            # A stand-in video room on this server, so the whole journey works offline.
            clinic.room_settings = {"rooms": [{"key": "demo", "label": "Demo room", "provider": "template",
                                               "template": base + "/dev/video-room?name={name}&lang={lang}"}]}
        start = (now + timedelta(minutes=15)).replace(second=0, microsecond=0)
        start += timedelta(minutes=(5 - start.minute % 5) % 5)
        created = []
        for code in i18n.LANGUAGES:
            invitation, token = invitations.create_invitation(
                session, clinic, start, start + timedelta(minutes=30), code,
                label=f"Demo {code}", languages=tuple(i18n.LANGUAGES), code_key=current_app.config["SECRET_KEY"])
            invitation.room_ref = "demo" if rooms.find_room(clinic.room_settings, "demo") else None
            created.append(_printed(invitation, token, base, start))
            if code == "so":
                # An appointment with three people: a Somali patient, an interpreter and the home-care
                # nurse who sits with the patient, both with Norwegian pages.
                for role, label in ((participants.INTERPRETER, "Demo tolk"),
                                    (participants.HEALTH_WORKER, "Demo sykepl.")):
                    member, member_token = participants.add(
                        session, invitation, role, "nb", label, now, languages=tuple(i18n.LANGUAGES),
                        code_key=current_app.config["SECRET_KEY"])
                    created.append(_printed(member, member_token, base, start))
    return created


def _printed(invitation, token: str, base: str, start: datetime) -> dict:
    """What the demo prints of one invitation: whose, in which language, its link and its code."""
    return {"language": invitation.language, "role": invitation.role, "label": invitation.label,
            "link": f"{base}/i/{token}", "code": links.grouped_code(links.code_of(token)),
            "starts_at": start.isoformat()}


def enrol_staff(clinic_slug: str, email: str, display_name: str | None, role: str, language: str) -> str:
    """Create (or find) a staff member and return a single-use enrolment link for them (R21)."""
    database = current_app.extensions["patientapp.db"]
    email = email.strip().lower()
    with database.sessions() as session, session.begin():
        clinic = session.scalar(select(Clinic).where(Clinic.slug == clinic_slug))
        if clinic is None:
            raise LookupError(f"No clinic called {clinic_slug!r}. Run `flask demo` or create the clinic first.")
        person = session.scalar(select(Staff).where(Staff.email == email))
        if person is None:
            person = Staff(clinic=clinic, email=email, display_name=display_name or email, role=role,
                           language=language, user_handle=staff_access.new_user_handle())
            session.add(person)
            session.flush()
        token = staff_access.new_enrolment(session, person, utcnow())
        audit.record(session, "staff-enrol", clinic_id=clinic.id, detail=f"staff={person.id} cli")
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + f"{paths.STAFF}/enrol/{token}"


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve `app` on a free loopback port in a thread; yields http://localhost:<port>.

    localhost (not 127.0.0.1) because it is a secure context and a valid WebAuthn RP ID.
    """
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://localhost:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def demo_site(folder: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A complete demo on a SQLite file in `folder`: yields the base URL and a link per language."""
    from . import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/demo.sqlite3", "SECRET_KEY": "demo-site-" * 5,
                      "ALLOW_LOCAL_ROOMS": True})
    with serve(app) as base_url, app.app_context():
        app.extensions["patientapp.db"].upgrade()
        links = {row["language"]: row["link"] for row in create_demo() if row["role"] == "patient"}
        yield base_url, links
