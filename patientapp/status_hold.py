"""Held status requests: a waiting patient learns of an admission within a fraction of a second.

A patient who is waiting asks "has anything changed since version V?" and the server holds that
request (up to STATUS_HOLD_SECONDS) until something does. Polling every few seconds cannot get an
admission to thousands of waiting patients in under a second on a small server: it would take
hundreds of requests a second just to say "nothing new". Under gunicorn's gevent worker a held
request costs a sleeping greenlet (about 20 KB) and no CPU (bench/holding.py).

How a held request learns of a change: the transaction that changes an invitation sends its id as
news (status_news.py: in-process, PostgreSQL NOTIFY or Redis pub/sub), and this process's watcher
wakes the requests held on it. The request reads its signature before it sleeps and remembers when;
news that arrived after that moment wakes it at once, so a change between its read and its sleep is
never lost. A slow safety poll (every few seconds) compares every held request's signature with the
database's, for news a channel outage lost and for changes made behind the app's back.

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
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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


@dataclass(frozen=True)
class Known:
    """What a waiting patient's status request last read from the database and answered.

    The page asks again at once with the same version; if no news of the invitation came since this
    was read, nothing the answer depends on has changed (status_news.WATCHED), and the question is
    held without reading the database again. Times in the answer are computed afresh when served.
    """
    invitation_id: int
    knock_id: int
    signature: Signature
    version: str
    generation: int  # the link's generation (a session from before a new link must not pass)
    open_until: datetime  # the link stops working (invitations.Window)
    knock_created_at: datetime
    lapses_at: datetime
    answer: dict
    read_at: float  # time.monotonic() before the read

    def answer_at(self, now: datetime) -> dict:
        answer = dict(self.answer)
        answer.update(waited=int((now - self.knock_created_at).total_seconds()),
                      lapses_in=max(0, int((self.lapses_at - now).total_seconds())))
        return answer


# How long news is remembered for a request that read its signature just before the news came and
# registers just after (a few milliseconds in practice; generous, as it costs one dict entry).
NEWS_MEMORY_SECONDS = 60.0
# The safety poll reads the signatures of this many held requests per query.
CHUNK = 500
# "Last seen" of the held patients is written this often, and only where it is older than
# SEEN_RECENTLY_SECONDS (the patient's own request, or another process, wrote it a moment ago): the
# dashboard calls a patient stale after 20 s (dashboard.STALE_AFTER), so at most about 15 s old is
# enough. At 5,000 waiting, writing every row every 5 s was 1,000 row updates a second; on
# PostgreSQL each leaves a dead row version for vacuum, and the slowest answers of the 5,000-patient
# benchmark came when those writes met the ramp's end (bench/README).
HEARTBEAT_EVERY_SECONDS = 10.0
SEEN_RECENTLY_SECONDS = 5.0


class ProcessThread:
    """A daemon thread started when first needed, once per process.

    Started lazily: a thread started before gunicorn forks would not survive the fork, and each
    worker needs its own (the watcher, the news listener, the Redis publisher).
    """

    def __init__(self, target: Callable[[], None], name: str):
        self.target, self.name = target, name
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def _running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()

    def ensure(self) -> bool:
        """Start the thread unless this process runs it already. True if it started now."""
        if self._running():
            return False
        with self._lock:
            if self._running():
                return False
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self.target, name=self.name, daemon=True)
            self._thread.start()
        return True


def holding_places(worker_class: str, threads: int, connections: int) -> int:
    """How many status requests one gunicorn worker may hold, leaving room for every other request.

    gevent: each held request is a greenlet on one of `worker_connections`; thread worker: each
    sleeps in one of `threads`.
    """
    if "gevent" in worker_class:
        return max(0, connections - max(100, connections // 10))
    return max(0, threads - max(8, threads // 8))


class Watcher:
    """One per process: holds the waiting patients' requests and wakes them on news of a change."""

    def __init__(self, engine: Engine, *, capacity: int = 500, safety_interval: float = 5.0,
                 heartbeat_every: float = HEARTBEAT_EVERY_SECONDS, clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        # Each held request occupies a greenlet or a thread: leave the rest for everybody else.
        self.capacity = capacity
        self.safety_interval = safety_interval
        self.heartbeat_every = heartbeat_every
        self.clock = clock
        self._waiters: dict[int, set[_Waiter]] = {}
        self._count = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()  # ends the watcher's sleep early (news, or a new interval)
        self._heard: dict[int, float] = {}  # invitation id -> when news of it last came (monotonic)
        self._heard_clinics: dict[int, float] = {}  # clinic id -> when news of its day last came
        self._known: OrderedDict[str, Known] = OrderedDict()  # invitation ref -> its last read, newest last
        self._thread = ProcessThread(self._run, "waiting-watch")
        self._last_heartbeat = 0.0
        self._last_safety = time.monotonic()
        self._last_forget = 0.0
        self.started: list[Callable[[], None]] = []  # run once per process with the watcher (news listeners)

    # -- the request's side ------------------------------------------------------------------
    def wait(self, invitation_id: int, knock_id: int | None, baseline: Signature | None,
             timeout: float, read_at: float | None = None) -> bool | None:
        """Sleep until news says the invitation changed, or its signature differs from `baseline`, or `timeout`.

        `read_at` (time.monotonic()) is when the baseline was read: news that came after it wakes
        the request at once. True if it changed, False at the timeout, None at once if every holding
        place is taken (the page then asks again after its ordinary poll interval).
        """
        waiter = _Waiter(invitation_id, knock_id, baseline)
        with self._lock:
            if self._count >= self.capacity:
                return None
            self._waiters.setdefault(invitation_id, set()).add(waiter)
            self._count += 1
            if read_at is not None and self._heard.get(invitation_id, float("-inf")) >= read_at:
                waiter.event.set()
        self._ensure_running()
        try:
            return waiter.event.wait(timeout)
        finally:
            with self._lock:
                same = self._waiters.get(invitation_id)
                if same is not None and waiter in same:
                    same.discard(waiter)
                    self._count -= 1
                    if not same:
                        del self._waiters[invitation_id]

    def remember(self, ref: str, known: Known) -> None:
        """Keep what a held request read, for the next question of the same page (see Known)."""
        with self._lock:
            self._known[ref] = known
            self._known.move_to_end(ref)
            while len(self._known) > max(1000, 2 * self.capacity):
                self._known.popitem(last=False)

    def recall(self, ref: str, version: str) -> Known | None:
        """What was read for this invitation, if the page has that version and no news came since."""
        with self._lock:
            known = self._known.get(ref)
            if known is None or known.version != version:
                return None
            if self._heard.get(known.invitation_id, float("-inf")) >= known.read_at:
                del self._known[ref]
                return None
            return known

    def has_room(self) -> bool:
        with self._lock:
            return self._count < self.capacity

    @property
    def waiting(self) -> int:
        with self._lock:
            return self._count

    # -- the news's side ---------------------------------------------------------------------
    def notify(self, invitation_ids: Iterable[int], clinic_ids: Iterable[int] = ()) -> None:
        """These invitations changed (status_news.py): wake the requests held on them, now."""
        now = time.monotonic()
        with self._lock:
            for clinic_id in clinic_ids:
                self._heard_clinics[clinic_id] = now
            for invitation_id in invitation_ids:
                self._heard[invitation_id] = now
                for waiter in self._waiters.get(invitation_id, ()):
                    waiter.event.set()
        self._wake.set()

    def news_since(self, moment: float, invitation_ids: Iterable[int] = (), clinic_ids: Iterable[int] = ()) -> bool:
        """Did news of any of these come after `moment` (time.monotonic())? Remembered for
        NEWS_MEMORY_SECONDS: a caller asking about an older moment must read afresh instead."""
        with self._lock:
            return (any(self._heard.get(i, float("-inf")) >= moment for i in invitation_ids)
                    or any(self._heard_clinics.get(c, float("-inf")) >= moment for c in clinic_ids))

    def listen(self) -> None:
        """Start this process's news listener (with the watcher) if it is not running yet."""
        self._ensure_running()

    # -- the watcher's side ------------------------------------------------------------------
    def _ensure_running(self) -> None:
        if self._thread.ensure():
            for start in self.started:
                start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.safety_interval)
            self._wake.clear()
            self._forget_old_news()
            if time.monotonic() - self._last_safety < self.safety_interval:
                continue
            self._last_safety = time.monotonic()
            try:
                self.check()
            except Exception:  # noqa: BLE001 - the watcher must outlive a database hiccup
                # Held requests still end at their timeout and ask again; nothing is lost.
                log.warning("waiting-watch: could not read the waiting room", exc_info=True)

    def _forget_old_news(self) -> None:
        now = time.monotonic()
        if now - self._last_forget < 1.0:  # news can come many times a second: tidy up once a second
            return
        self._last_forget = now
        horizon = now - NEWS_MEMORY_SECONDS
        with self._lock:
            self._heard = {i: t for i, t in self._heard.items() if t >= horizon}
            self._heard_clinics = {c: t for c, t in self._heard_clinics.items() if t >= horizon}

    def held(self) -> list[_Waiter]:
        with self._lock:
            return [w for same in self._waiters.values() for w in same]

    def check(self, waiters: list[_Waiter] | None = None) -> int:
        """The safety poll: wake the waiters whose invitation changed unnoticed; keep "last seen" fresh.

        Returns how many woke. Reads in chunks, so that under gevent no single query keeps the other
        greenlets waiting long.
        """
        if waiters is None:
            waiters = self.held()
        ids = sorted({w.invitation_id for w in waiters})
        current: dict[int, Signature] = {}
        for start in range(0, len(ids), CHUNK):
            with self.engine.connect() as conn:
                current.update(signatures(conn, ids[start:start + CHUNK]))
                conn.rollback()
            time.sleep(0)  # under gevent: let the others run between chunks
        woken = 0
        now = time.monotonic()
        for waiter in waiters:
            if current.get(waiter.invitation_id) != waiter.baseline and not waiter.event.is_set():
                # A change that came without news: remembered as news, so that no Known read before it is used.
                with self._lock:
                    self._heard[waiter.invitation_id] = now
                waiter.event.set()
                woken += 1
        if time.monotonic() - self._last_heartbeat >= self.heartbeat_every:
            self._last_heartbeat = time.monotonic()
            self._heartbeat({w.knock_id for w in waiters if w.knock_id is not None and not w.event.is_set()})
        return woken

    def _heartbeat(self, knock_ids: set[int]) -> None:
        """The patients whose requests we hold are on the page: say so, in one write per chunk."""
        ordered = sorted(knock_ids)
        now = self.clock()
        seen_before = now - timedelta(seconds=SEEN_RECENTLY_SECONDS)
        for start in range(0, len(ordered), CHUNK * 2):
            with self.engine.connect().execution_options(sqlite_immediate=True) as conn:
                conn.execute(update(Knock)
                             .where(and_(Knock.id.in_(ordered[start:start + CHUNK * 2]), Knock.state.in_(ACTIVE),
                                         Knock.last_seen_at < seen_before))
                             .values(last_seen_at=now))
                conn.commit()
            time.sleep(0)
