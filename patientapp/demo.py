"""Demo data, and a throwaway server for scripts (benchmarks, screenshots) and browser tests."""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator

from flask import Flask, current_app
from sqlalchemy import select
from werkzeug.serving import make_server

from . import i18n, visits
from .models import Clinic

DEMO_CLINIC = {
    "slug": "demo",
    "display_name": "Nordby helsesenter",
    # Numbers starting with 1 are not subscriber numbers in Norway: this one reaches nobody.
    "phone": "+4712345678",
    "time_zone": "Europe/Oslo",
}


def create_demo(now: datetime | None = None) -> list[dict]:
    """A demo clinic and one invitation per language, starting within the next half hour."""
    now = now or datetime.now(timezone.utc)
    database = current_app.extensions["patientapp.db"]
    with database.sessions() as session, session.begin():
        clinic = session.scalar(select(Clinic).where(Clinic.slug == DEMO_CLINIC["slug"]))
        if clinic is None:
            clinic = Clinic(**DEMO_CLINIC, room_settings={})
            session.add(clinic)
        start = (now + timedelta(minutes=15)).replace(second=0, microsecond=0)
        start += timedelta(minutes=(5 - start.minute % 5) % 5)
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        created = []
        for code in i18n.LANGUAGES:
            invitation, token = visits.create_invitation(
                session, clinic, start, start + timedelta(minutes=30), code,
                label=f"Demo {code}", languages=tuple(i18n.LANGUAGES))
            created.append({"language": code, "link": f"{base}/i/{token}", "starts_at": start.isoformat()})
    return created


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

    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/demo.sqlite3", "SECRET_KEY": "demo-site-" * 5})
    with serve(app) as base_url, app.app_context():
        app.extensions["patientapp.db"].upgrade()
        links = {row["language"]: row["link"] for row in create_demo()}
        yield base_url, links
