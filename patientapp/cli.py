"""Console commands: `flask --app patientapp db upgrade`, `… demo [--json]`, `… purge`."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import click
import qrcode
from flask import Flask, current_app
from flask.cli import AppGroup

from . import i18n, retention, sms
from .demo import create_demo, enrol_staff


def _database():
    return current_app.extensions["patientapp.db"]


def init_app(app: Flask) -> None:
    db_group = AppGroup("db", help="Database schema.")

    @db_group.command("upgrade")
    def upgrade():
        """Apply every Alembic migration."""
        _database().upgrade()
        click.echo("Database is up to date.")

    app.cli.add_command(db_group)

    staff_group = AppGroup("staff", help="Clinic staff.")

    @staff_group.command("enrol")
    @click.option("--clinic", "clinic_slug", required=True, help="The clinic's short name, e.g. demo.")
    @click.option("--email", required=True)
    @click.option("--name", "display_name", default=None, help="Shown in the workspace (default: the e-mail).")
    @click.option("--role", type=click.Choice(["admin", "staff"]), default="staff")
    @click.option("--language", type=click.Choice(list(i18n.LANGUAGES)), default="nb")
    def enrol(clinic_slug, email, display_name, role, language):
        """Print a single-use enrolment link (and its QR code) with which a person creates a passkey."""
        try:
            link = enrol_staff(clinic_slug, email, display_name, role, language)
        except LookupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Enrolment link (single use, valid for one hour):\n  {link}\n")
        qr = qrcode.QRCode(border=1)
        qr.add_data(link)
        qr.print_ascii(out=click.get_text_stream("stdout"))

    app.cli.add_command(staff_group)

    @app.cli.command("purge")
    @click.option("--vacuum/--no-vacuum", default=None,
                  help="SQLite: VACUUM always / never (default: only when something was deleted).")
    def purge(vacuum):
        """Delete invitations and all tied to them RETENTION_HOURS after the appointment (R54); old audit rows."""
        config = current_app.config
        audit_days = int(config["AUDIT_RETENTION_DAYS"])
        result = retention.purge(
            _database(),
            retention=timedelta(hours=int(config["RETENTION_HOURS"])),
            audit_retention=timedelta(days=audit_days) if audit_days > 0 else None,
            staff_idle=config["STAFF_IDLE_TIMEOUT"],
            # The development outbox may exist even if SMS now go through a provider.
            outbox=sms.outbox_path(Path(current_app.instance_path)),
            vacuum=vacuum,
        )
        click.echo(result.summary())

    @app.cli.command("demo")
    @click.option("--json", "as_json", is_flag=True, help="Print the links as JSON.")
    def demo(as_json: bool):
        """Create a demo clinic and one invitation per language for today (the Somali one with an interpreter
        and a home-care nurse); print their links."""
        _database().upgrade()
        created = create_demo()
        if as_json:
            click.echo(json.dumps(created, indent=2))
            return
        click.echo("Demo invitations (open one in a browser, or type its code at the home page):")
        for row in created:
            who = "" if row["role"] == "patient" else f"    {row['role']} ({row['language']}) joins the one above: "
            click.echo(f"  {who or row['language'] + ': '}{row['link']}  code {row['code']}")
        link = enrol_staff("demo", "admin@demo.example", "Demo admin", "admin", "nb")
        click.echo(f"\nClinic workspace: create a passkey for the demo administrator (single use, one hour):\n  {link}")
