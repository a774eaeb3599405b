"""Console commands: `flask --app patientapp db upgrade`, `… demo [--json]`."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from . import i18n, visits
from .models import Clinic

DEMO_CLINIC = {
    "slug": "demo",
    "display_name": "Nordby helsesenter",
    # Numbers starting with 1 are not subscriber numbers in Norway: this one reaches nobody.
    "phone": "+4712345678",
    "time_zone": "Europe/Oslo",
}


def _database():
    return current_app.extensions["patientapp.db"]


def create_demo(now: datetime | None = None) -> list[dict]:
    """A demo clinic and one invitation per language, starting within the next half hour."""
    now = now or datetime.now(timezone.utc)
    database = _database()
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


def init_app(app: Flask) -> None:
    db_group = AppGroup("db", help="Database schema.")

    @db_group.command("upgrade")
    def upgrade():
        """Apply every Alembic migration."""
        _database().upgrade()
        click.echo("Database is up to date.")

    app.cli.add_command(db_group)

    @app.cli.command("demo")
    @click.option("--json", "as_json", is_flag=True, help="Print the links as JSON.")
    def demo(as_json: bool):
        """Create a demo clinic and one invitation per language for today; print their links."""
        _database().upgrade()
        created = create_demo()
        if as_json:
            click.echo(json.dumps(created, indent=2))
            return
        click.echo("Demo invitations (open one in a browser):")
        for row in created:
            click.echo(f"  {row['language']}: {row['link']}")
