"""Is this instance ready for traffic (R63)? The database answers at the migrations' head, and the
rate-limit counters' storage answers or the in-memory fallback stands in for it."""
from __future__ import annotations

import logging
from functools import cache

from flask import current_app
from sqlalchemy import text

from . import limits
from .db import MIGRATIONS_DIR, get_session

log = logging.getLogger("patientapp")


@cache
def migration_heads() -> frozenset[str]:
    """The newest Alembic revision(s) this code expects; read from migrations/ once per process."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())


def problems() -> list[str]:
    """What keeps this instance from serving, for the log only: an empty list when ready."""
    from alembic.runtime.migration import MigrationContext

    found = []
    try:
        connection = get_session().connection()
        connection.execute(text("SELECT 1"))
        if frozenset(MigrationContext.configure(connection).get_current_heads()) != migration_heads():
            found.append("database schema is not at the migrations' head")
    except Exception:
        found.append("database unreachable")
    if not limits.storage_ready(current_app):
        found.append("rate-limit storage unreachable and no fallback")
    return found
