"""News that a waiting patient's invitation changed, from the transaction that changed it to the held
status requests of every process and every app instance.

A held status request sleeps until its invitation changes (status_hold.py). This module says *which*
invitations changed, at once, through the engines that already carry the app's state:

- every process: the change wakes the watcher of the process that made it, after the commit;
- PostgreSQL: `NOTIFY` inside the same transaction (delivered at its commit, dropped by its rollback);
  every process of every instance `LISTEN`s on one connection of its own;
- SQLite with Redis (several workers on one host): Redis pub/sub after the commit;
- SQLite alone runs one worker (gunicorn.conf.py), so the in-process news is all it needs.

The news holds invitation ids only: never a name, a token or a state (R50). If a channel is down
(PostgreSQL restarting, Redis away), the watcher's slow safety poll still finds the change.

What counts as a change is what a waiting page shows: an invitation created, cancelled, moved, ended
or purged; a knock made, let in, refused, lapsed, withdrawn or given a message. Not "last seen",
which changes all the time and which no patient sees.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from .models import Invitation, Knock
from .status_hold import ProcessThread

log = logging.getLogger(__name__)

CHANNEL = "patientapp_status"
_PENDING = "patientapp.status_news"
# The attributes of each row that a waiting page depends on (status_hold.signature_of reads the same).
# A new link (link_generation) is news too: a session from before it must not be held on what was read.
WATCHED = {Invitation: ("state", "starts_at", "ends_at", "link_generation"),
           Knock: ("state", "message", "lapses_at")}
RECONNECT_SECONDS = (0.5, 1, 2, 5)

# Who hears news: the invitations that changed, and the clinics with a new or changed invitation
# (a dashboard shows the clinic's whole day, including invitations it has not shown yet).
Deliver = Callable[[set[int], set[int]], None]


def changed_invitations(session: Session) -> set[int]:
    """The invitations this flush changes in a way a waiting page would show."""
    return {i for i in map(_invitation_of, _changed(session)) if i is not None}


def changed_clinics(session: Session) -> set[int]:
    """The clinics whose day this flush changes as a dashboard shows it: the same changes as above."""
    clinics: set[int] = set()
    unknown: set[int] = set()  # invitations of knocks whose invitation is not loaded
    for obj in _changed(session):
        if isinstance(obj, Invitation):
            if obj.clinic_id is not None:
                clinics.add(obj.clinic_id)
            continue
        invitation = inspect(obj).attrs.invitation.loaded_value
        if isinstance(invitation, Invitation) and invitation.clinic_id is not None:
            clinics.add(invitation.clinic_id)
        elif obj.invitation_id is not None:
            unknown.add(obj.invitation_id)
    if unknown:
        # A plain query on the flush's own connection: no ORM loading in the middle of a flush.
        clinics.update(session.connection().scalars(
            select(Invitation.clinic_id).where(Invitation.id.in_(sorted(unknown)))))
    return clinics


def _changed(session: Session):
    """The invitations and knocks this flush makes, deletes, or changes in a WATCHED field."""
    for obj in (*session.new, *session.deleted):
        if type(obj) in WATCHED:
            yield obj
    for obj in session.dirty:
        fields = WATCHED.get(type(obj))
        if fields is not None and any(inspect(obj).attrs[name].history.has_changes() for name in fields):
            yield obj


def _invitation_of(obj) -> int | None:
    if isinstance(obj, Invitation):
        return obj.id
    if isinstance(obj, Knock):
        return obj.invitation_id if obj.invitation_id is not None else getattr(obj.invitation, "id", None)
    return None


def encode(ids: Iterable[int], clinics: Iterable[int] = ()) -> str:
    """"1,3,c2": invitations 1 and 3, clinic 2."""
    return ",".join([*(str(i) for i in sorted(set(ids))), *(f"c{c}" for c in sorted(set(clinics)))])


def decode(payload: str | bytes) -> tuple[set[int], set[int]]:
    """Invitation and clinic ids from a payload; anything else in it is ignored (the channel is ours,
    but be strict)."""
    if isinstance(payload, bytes):
        payload = payload.decode("ascii", "replace")
    ids: set[int] = set()
    clinics: set[int] = set()
    for part in str(payload)[:100_000].split(","):
        into, digits = (clinics, part[1:]) if part.startswith("c") else (ids, part)
        if digits.isdigit() and len(digits) < 19:
            into.add(int(digits))
    return ids, clinics


class News:
    """In-process news: the process that commits a change wakes its own held requests."""

    name = "in-process"

    def __init__(self, deliver: Deliver):
        self.deliver = deliver
        self._listener = ProcessThread(self._listen_forever, f"status-news-{self.name}")
        self.ready = threading.Event()  # listening: news from other processes now arrives
        self._listening_since: float | None = None  # time.monotonic() when `ready` was last set
        self._stopping = threading.Event()

    # -- the committing side -------------------------------------------------------------------
    def track(self, *makers: sessionmaker) -> None:
        """Watch every session these makers create for changes that a waiting page shows."""
        for maker in makers:
            event.listen(maker, "after_flush", self._flushed)
            event.listen(maker, "after_commit", self._committed)
            event.listen(maker, "after_rollback", self._rolled_back)

    def _flushed(self, session: Session, _context) -> None:
        ids, clinics = changed_invitations(session), changed_clinics(session)
        if ids or clinics:
            pending = session.info.setdefault(_PENDING, (set(), set()))
            pending[0].update(ids)
            pending[1].update(clinics)
            self.within_transaction(session, ids, clinics)

    def _committed(self, session: Session) -> None:
        pending = session.info.pop(_PENDING, None)
        if pending:
            self.deliver(*pending)
            self.after_commit(*pending)

    @staticmethod
    def _rolled_back(session: Session) -> None:
        session.info.pop(_PENDING, None)

    def within_transaction(self, session: Session, ids: set[int], clinics: set[int]) -> None:
        """Hook: news that must travel with the transaction itself (PostgreSQL's NOTIFY)."""

    def after_commit(self, ids: set[int], clinics: set[int]) -> None:
        """Hook: news for other processes, sent once the change is committed."""

    # -- the listening side --------------------------------------------------------------------
    listens = False  # does news from other processes arrive here (a listener to start)?

    def start(self) -> None:
        """Start this process's listener, once per process (a thread does not survive a fork)."""
        if not self.listens:
            return
        self._listener.ensure()

    def stop(self) -> None:
        """End this process's listener (within a second); an app that is thrown away calls this."""
        self._stopping.set()

    def _listen_forever(self) -> None:
        self.ready.clear()
        failures = 0
        while not self._stopping.is_set():
            try:
                self.listen()
                failures = 0
            except Exception:  # noqa: BLE001 - the listener must outlive its channel's outages
                self.ready.clear()
                if failures == 0:
                    log.warning("status news: the %s channel is down; the safety poll covers", self.name,
                                exc_info=True)
                self._stopping.wait(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
                failures += 1

    def _now_listening(self) -> None:
        self._listening_since = time.monotonic()
        self.ready.set()

    def heard_everything_since(self, moment: float) -> bool:
        """Has every change committed since `moment` (time.monotonic()) reached this process? In-process
        news reaches it at once; a channel only from when it listens without a break."""
        if not self.listens:
            return True
        since = self._listening_since
        return self.ready.is_set() and since is not None and since <= moment

    def listen(self) -> None:
        """Receive news until the channel fails (raise) or closes (return); set `ready` once listening."""


class PostgresNews(News):
    """NOTIFY in the transaction; LISTEN on one connection per process."""

    name = "postgresql"
    listens = True

    def __init__(self, deliver: Deliver, url: str):
        super().__init__(deliver)
        self.url = url

    def within_transaction(self, session: Session, ids: set[int], clinics: set[int]) -> None:
        # Delivered when this transaction commits, never if it rolls back; PostgreSQL folds the same
        # payload sent twice in one transaction into one.
        session.connection().execute(select(func.pg_notify(CHANNEL, encode(ids, clinics))))

    def listen(self) -> None:
        import psycopg

        # psycopg 3 waits cooperatively under gevent's monkey-patching (3.1.14 and later), so this
        # connection's wait is a sleeping greenlet there and a sleeping thread elsewhere.
        with psycopg.connect(_libpq_url(self.url), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self._now_listening()
            quiet = 0
            while not self._stopping.is_set():
                for notice in conn.notifies(timeout=1):
                    quiet = 0
                    ids, clinics = decode(notice.payload)
                    if ids or clinics:
                        self.deliver(ids, clinics)
                quiet += 1
                if quiet >= 30:  # a quiet half-minute: ask something, so a dropped connection is noticed
                    conn.execute("SELECT 1")
                    quiet = 0


class RedisNews(News):
    """Redis pub/sub, for several SQLite workers on one host."""

    name = "redis"
    listens = True

    def __init__(self, deliver: Deliver, url: str):
        super().__init__(deliver)
        import redis

        self.url = url
        self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._outbox: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._publisher = ProcessThread(self._publish_forever, "status-news-publish")

    def after_commit(self, ids: set[int], clinics: set[int]) -> None:
        # IMPORTANT: SQLAlchemy calls after_commit before the session gives its connection back, and on
        # SQLite that connection holds the writers' gate (db.py): a round trip to Redis here would keep
        # every other writer waiting. The ids go to a publisher of this process instead.
        self._outbox.put(encode(ids, clinics))
        self._publisher.ensure()

    def _publish_forever(self) -> None:
        while True:
            payload = self._outbox.get()
            try:
                self._client.publish(CHANNEL, payload)
            except Exception:  # noqa: BLE001 - the change is committed; the safety poll finds it
                log.warning("status news: could not publish to Redis; the safety poll covers", exc_info=True)

    def listen(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=5, socket_timeout=None,
                                      health_check_interval=30)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(CHANNEL)
            self._now_listening()
            while not self._stopping.is_set():
                message = pubsub.get_message(timeout=1)
                if message and message.get("type") == "message":
                    ids, clinics = decode(message.get("data") or b"")
                    if ids or clinics:
                        self.deliver(ids, clinics)
        finally:
            pubsub.close()
            client.close()


def for_database(deliver: Deliver, database_url: str, redis_url: str = "") -> News:
    """The channel that reaches every process sharing this database."""
    if database_url.startswith(("postgresql://", "postgresql+psycopg://")):
        return PostgresNews(deliver, database_url)
    if redis_url:
        return RedisNews(deliver, redis_url)
    return News(deliver)


def _libpq_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]
