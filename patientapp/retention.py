"""Retention (SECURITY.md R54): what `flask purge` deletes, and when.

An invitation and everything tied to it (its knocks, with the consent version and the hand-off
times; the staff label; the check summary; the withdrawal time; the development SMS outbox's copy of
its text) is hard-deleted RETENTION_HOURS after the appointment ends. Audit rows about it stay, with
ids, action and result only: their free-text `detail` is cleared. The audit trail itself goes after
AUDIT_RETENTION_DAYS. Expired staff sessions, WebAuthn challenges and enrolment links go too.

Safe to run from cron while the app serves: short transactions of at most BATCH invitations, rows a
request is changing right now are skipped until the next run (PostgreSQL), and running it twice
deletes nothing more. No Flask here: the CLI (cli.py) passes the settings in.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from . import device_codes, links, sms
from .db import Database, WriterGate
from .models import AuditEvent, Challenge, Enrolment, Invitation, InvitationLink, Knock, StaffSession, utcnow

BATCH = 200
_OUTBOX_LINK = re.compile(r"/i/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


@dataclass
class Purged:
    """How many rows (and outbox lines) one run deleted or cleared; counts only, nothing personal."""

    invitations: int = 0
    knocks: int = 0
    audit_cleared: int = 0
    audit_deleted: int = 0
    staff_sessions: int = 0
    challenges: int = 0
    enrolments: int = 0
    device_codes: int = 0
    outbox_lines: int = 0
    vacuumed: bool = False

    @property
    def deleted(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self) if f.name != "vacuumed")

    def summary(self) -> str:
        counts = ", ".join(f"{f.name.replace('_', ' ')} {getattr(self, f.name)}" for f in fields(self)
                           if f.name != "vacuumed")
        return f"purge: {counts}; vacuum {'done' if self.vacuumed else 'skipped'}"


@contextmanager
def _writing(database: Database) -> Iterator[Session]:
    """One short write transaction (BEGIN IMMEDIATE on SQLite, like the app's own writers)."""
    with database.writer_sessions() as db, db.begin():
        yield db


def purge_invitations(database: Database, cutoff: datetime, result: Purged, batch: int = BATCH) -> None:
    """Delete invitations that ended before `cutoff`, batch by batch, each in its own short transaction."""
    while True:
        with _writing(database) as db:
            # FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite has no row locks and serialises writers):
            # an invitation a request is moving right now waits for the next run instead of blocking it.
            ids = list(db.scalars(select(Invitation.id).where(Invitation.ends_at < cutoff)
                                  .order_by(Invitation.id).limit(batch).with_for_update(skip_locked=True)))
            if not ids:
                return
            result.knocks += db.execute(delete(Knock).where(Knock.invitation_id.in_(ids))).rowcount
            db.execute(delete(InvitationLink).where(InvitationLink.invitation_id.in_(ids)))
            result.audit_cleared += db.execute(
                update(AuditEvent).where(AuditEvent.invitation_id.in_(ids), AuditEvent.detail.is_not(None))
                .values(detail=None)).rowcount
            result.invitations += db.execute(delete(Invitation).where(Invitation.id.in_(ids))).rowcount
        if len(ids) < batch:
            return


def purge_audit(database: Database, cutoff: datetime, result: Purged, batch: int = 2000) -> None:
    """Delete audit rows older than `cutoff` (R49: kept for a configurable period)."""
    while True:
        with _writing(database) as db:
            ids = list(db.scalars(select(AuditEvent.id).where(AuditEvent.at < cutoff)
                                  .order_by(AuditEvent.id).limit(batch)))
            if ids:
                result.audit_deleted += db.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids))).rowcount
        if len(ids) < batch:
            return


def purge_staff_leftovers(database: Database, now: datetime, idle: timedelta, result: Purged) -> None:
    """Expired staff sessions, WebAuthn challenges and enrolment links: useless once expired."""
    with _writing(database) as db:
        result.staff_sessions += db.execute(delete(StaffSession).where(
            or_(StaffSession.expires_at < now, StaffSession.last_seen_at < now - idle))).rowcount
        result.challenges += db.execute(delete(Challenge).where(Challenge.expires_at < now)).rowcount
        result.enrolments += db.execute(delete(Enrolment).where(Enrolment.expires_at < now)).rowcount


def purge_device_codes(database: Database, now: datetime, result: Purged) -> None:
    """Codes for moving a visit to another device, once their ten minutes are over."""
    with _writing(database) as db:
        result.device_codes += device_codes.purge_expired(db, now)


def purge_outbox(database: Database, path: Path, result: Purged) -> None:
    """Keep only outbox messages whose link still belongs to an invitation in the database.

    The development outbox (sms.py) keeps each SMS's text, with its working link, and the number's
    last three digits. A message whose link matches no invitation (purged, cancelled and deleted, or
    replaced by a new link) has no purpose left.
    """
    def keep(records: list[dict]) -> list[dict]:
        pairs = []
        for record in records:
            found = _OUTBOX_LINK.search(str(record.get("text", "")))
            pairs.append((record, links.hash_token(found.group(1)) if found else None))
        wanted = sorted({h for _, h in pairs if h})
        live: set[str] = set()
        with database.sessions() as db:
            for start in range(0, len(wanted), 500):
                live.update(db.scalars(select(InvitationLink.token_hash)
                                       .where(InvitationLink.token_hash.in_(wanted[start:start + 500]))))
        return [record for record, token_hash in pairs if token_hash in live]

    result.outbox_lines += sms.OutboxGateway(path).prune(keep)


def vacuum_sqlite(database: Database) -> bool:
    """VACUUM a SQLite file and empty its WAL, so deleted rows leave no copy in free pages or the log.

    secure_delete (db.py) already zeroes deleted content in place; VACUUM also drops the free pages
    and shrinks the file, and the TRUNCATE checkpoint empties the WAL, which may still hold the pages
    as they were before the delete. Writers of the app wait at the same gate meanwhile.
    """
    if database.engine.dialect.name != "sqlite":
        return False  # PostgreSQL: autovacuum reclaims the dead rows (docs/data-inventory.md)
    gate = WriterGate(database.engine.url.database)
    if not gate.acquire(30):
        return False
    try:
        raw = database.engine.raw_connection()
        try:
            cursor = raw.cursor()  # autocommit (db.py sets isolation_level None): VACUUM needs no transaction
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.close()
        finally:
            raw.close()
    finally:
        gate.release()
    return True


def purge(database: Database, *, retention: timedelta, audit_retention: timedelta | None,
          staff_idle: timedelta, outbox: Path | None = None, vacuum: bool | None = None,
          now: datetime | None = None) -> Purged:
    """One run of the retention job. `vacuum`: None vacuums SQLite only when something was deleted."""
    now = now or utcnow()
    result = Purged()
    purge_invitations(database, now - retention, result)
    if audit_retention is not None:
        purge_audit(database, now - audit_retention, result)
    purge_staff_leftovers(database, now, staff_idle, result)
    purge_device_codes(database, now, result)
    if outbox is not None:
        purge_outbox(database, outbox, result)
    if vacuum or (vacuum is None and result.deleted):
        result.vacuumed = vacuum_sqlite(database)
    return result
