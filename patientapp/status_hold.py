"""Held status requests: a waiting patient learns of an admission within a fraction of a second.

A patient who is waiting asks "has anything changed since version V?" and the server holds that
request (up to STATUS_HOLD_SECONDS) until something does. Polling every few seconds cannot get an
admission to 1,000 waiting patients in under two seconds on a small server: it would take ~500
requests a second just to say "nothing new". Held requests cost a sleeping thread each and no CPU.

How a held request learns of a change: one watcher thread per process reads the *signature* of every
watched invitation (its state and its latest knock's id, state and message) a few times a second in
one query, and wakes the requests whose signature moved. The signature is read from the database,
so an admission made by another worker or another app instance (PostgreSQL) wakes the patient too.
The request reads the signature itself, with the same query, before it sleeps: a change that lands
between its read and the watcher's next read is seen as a difference, never lost.

While a patient's request is held, the watcher also keeps their "last seen" fresh for the staff
dashboard, in one UPDATE per process every few seconds instead of one write per patient.

No Flask here: the view passes an engine and plain values.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Integer, and_, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine

from .knocks import ACTIVE
from .models import Invitation, Knock, utcnow

log = logging.getLogger(__name__)

Signature = tuple


def signatures(conn: Connection, invitation_ids: Iterable[int]) -> dict[int, Signature]:
    """What a waiting patient's page depends on, per invitation: one query for any number of them.

    An invitation that is gone (purged) has no entry; callers treat that as a change.
    """
    ids = sorted(set(invitation_ids))
    if not ids:
        return {}
    if conn.dialect.name == "postgresql":
        # The watcher asks for hundreds of invitations a few times a second: on PostgreSQL as one
        # array parameter (= ANY), not one parameter each (IN): 3.3 ms of CPU instead of 7.5-11.6
        # for 500, most of it spent rendering and parsing the 500 parameters.
        wanted = bindparam("invitation_ids", ids, type_=ARRAY(Integer))
        knock_of, invitation_in = Knock.invitation_id == any_(wanted), Invitation.id == any_(wanted)
    else:
        knock_of, invitation_in = Knock.invitation_id.in_(ids), Invitation.id.in_(ids)
    newest = (select(Knock.invitation_id, func.max(Knock.id).label("knock_id"))
              .where(knock_of).group_by(Knock.invitation_id).subquery())
    query = (select(Invitation.id, Invitation.state, Invitation.starts_at, Invitation.ends_at,
                    Knock.id, Knock.state, Knock.message, Knock.lapses_at)
             .select_from(Invitation)
             .outerjoin(newest, newest.c.invitation_id == Invitation.id)
             .outerjoin(Knock, Knock.id == newest.c.knock_id)
             .where(invitation_in))
    return {row[0]: tuple(row[1:]) for row in conn.execute(query)}


def signature_of(invitation: Invitation, knock: Knock | None) -> Signature:
    """The same signature as `signatures` gives, from an invitation and its latest knock already loaded
    (a waiting patient's status request has read both: it need not ask the database a third time)."""
    if knock is None:
        return (invitation.state, invitation.starts_at, invitation.ends_at, None, None, None, None)
    return (invitation.state, invitation.starts_at, invitation.ends_at,
            knock.id, knock.state, knock.message, knock.lapses_at)


def version_of(signature: Signature | None) -> str:
    """A short opaque version the page sends back; it reveals nothing (it is a hash)."""
    return hashlib.sha256(repr(signature).encode()).hexdigest()[:16]


@dataclass(eq=False)
class _Waiter:
    invitation_id: int
    knock_id: int | None
    baseline: Signature | None
    event: threading.Event = field(default_factory=threading.Event)


class Watcher:
    """One per process: watches the invitations that held requests wait on, and wakes them."""

    def __init__(self, engine: Engine, *, capacity: int = 500, interval: float = 0.25,
                 heartbeat_every: float = 5.0, clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        # Each held request occupies a server thread: leave the rest for everybody else.
        self.capacity = capacity
        self.interval = interval
        self.heartbeat_every = heartbeat_every
        self.clock = clock
        self._waiters: set[_Waiter] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()  # a new waiter: the watcher need not sleep out its interval
        self._thread: threading.Thread | None = None
        self._pid = None
        self._last_heartbeat = 0.0

    # -- the request's side ------------------------------------------------------------------
    def wait(self, invitation_id: int, knock_id: int | None, baseline: Signature | None,
             timeout: float) -> bool | None:
        """Sleep until the invitation's signature differs from `baseline`, or `timeout`.

        True if it changed, False at the timeout, None at once if every holding place is taken
        (the page then asks again after its ordinary poll interval).
        """
        waiter = _Waiter(invitation_id, knock_id, baseline)
        with self._lock:
            if len(self._waiters) >= self.capacity:
                return None
            self._waiters.add(waiter)
        self._ensure_running()
        self._wake.set()
        try:
            return waiter.event.wait(timeout)
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    def has_room(self) -> bool:
        with self._lock:
            return len(self._waiters) < self.capacity

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiters)

    # -- the watcher's side ------------------------------------------------------------------
    def _ensure_running(self) -> None:
        # Started lazily and per process: a thread started before gunicorn forks would not survive it.
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="waiting-watch", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            with self._lock:
                waiters = list(self._waiters)
            if not waiters:
                continue
            try:
                self.check(waiters)
            except Exception:  # noqa: BLE001 - the watcher must outlive a database hiccup
                # Held requests still end at their timeout and ask again; nothing is lost.
                log.warning("waiting-watch: could not read the waiting room", exc_info=True)
                time.sleep(self.interval)

    def check(self, waiters: list[_Waiter] | None = None) -> int:
        """One round: wake the waiters whose invitation changed; keep "last seen" fresh. Returns how many woke."""
        if waiters is None:
            with self._lock:
                waiters = list(self._waiters)
        with self.engine.connect() as conn:
            current = signatures(conn, {w.invitation_id for w in waiters})
            conn.rollback()
        woken = 0
        for waiter in waiters:
            if current.get(waiter.invitation_id) != waiter.baseline:
                waiter.event.set()
                woken += 1
        if time.monotonic() - self._last_heartbeat >= self.heartbeat_every:
            self._last_heartbeat = time.monotonic()
            self._heartbeat({w.knock_id for w in waiters if w.knock_id is not None and not w.event.is_set()})
        return woken

    def _heartbeat(self, knock_ids: set[int]) -> None:
        """The patients whose requests we hold are on the page: say so, in one write."""
        if not knock_ids:
            return
        with self.engine.connect().execution_options(sqlite_immediate=True) as conn:
            conn.execute(update(Knock)
                         .where(and_(Knock.id.in_(sorted(knock_ids)), Knock.state.in_(ACTIVE)))
                         .values(last_seen_at=self.clock()))
            conn.commit()
