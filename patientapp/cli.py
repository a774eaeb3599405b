"""Console commands: `flask --app patientapp db upgrade`, `… demo [--json]`."""
from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .demo import create_demo

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
