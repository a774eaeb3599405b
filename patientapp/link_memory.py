"""What this process last read of a patient's link, for the pages that only show it.

The landing page, the guides (for a patient with a link) and the offline page show the appointment's
time and the clinic; they change nothing. A patient comes back to them again and again (back from the
check, another language, a guide and back), and each time the link must still work. Rather than read
the invitation for every such page, a process keeps what it read for a short while and uses it only
while no news of that invitation came (status_news: a cancellation, a new link, a new time, a
withdrawal are all news) and only if this process hears every change. The clinic's name, number and
time zone are not news: a change to them shows within MAX_AGE_SECONDS.

Pages that change something, or show a knock, always read the database.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from . import appointment
from .models import Invitation

MAX_AGE_SECONDS = 30.0
SIZE = 20_000  # links kept per process, the least recently used go first (about 1 KB each)


@dataclass(frozen=True)
class Link:
    """An invitation as a patient's read-only page shows it (no label, no phone number, no knock)."""

    invitation_id: int
    ref: str
    generation: int
    language: str
    starts_at: datetime
    ends_at: datetime
    open_until: datetime  # invitations.Window.closes_at
    clinic_name: str
    clinic_phone: str
    clinic_time_zone: str
    read_at: float  # time.monotonic() before the read
    role: str = "patient"  # participants.ROLES: whose page to show

    @classmethod
    def of(cls, invitation: Invitation, open_until: datetime, read_at: float) -> Link:
        clinic = invitation.clinic
        return cls(invitation.id, invitation.ref, invitation.link_generation or 1, invitation.language,
                   invitation.starts_at, invitation.ends_at, open_until, clinic.display_name, clinic.phone,
                   clinic.time_zone, read_at, invitation.role)

    def landing(self, locale: str, now: datetime) -> appointment.Landing:
        return appointment.describe(self.clinic_name, self.clinic_phone, self.clinic_time_zone, self.starts_at,
                                    self.ends_at, locale, now)


class LinkMemory:
    """One per process. `watch` (status_hold.Watcher) knows what news came; `news` whether all of it does."""

    def __init__(self, watch, news, max_age: float = MAX_AGE_SECONDS, size: int = SIZE):
        self.watch, self.news = watch, news
        self.max_age, self.size = max_age, size
        self._links: OrderedDict[str, Link] = OrderedDict()
        self._lock = threading.Lock()

    def recall(self, ref: str, generation: int, now: datetime) -> Link | None:
        """The link as last read, if it still says all there is to say; None: read the database."""
        with self._lock:
            link = self._links.get(ref)
        if link is None:
            return None
        fresh = (time.monotonic() - link.read_at < self.max_age and link.generation == generation
                 and now <= link.open_until and self.news.heard_everything_since(link.read_at)
                 and not self.watch.news_since(link.read_at, invitation_ids=(link.invitation_id,)))
        if not fresh:
            self.forget(ref)
            return None
        return link

    def remember(self, link: Link) -> None:
        self.watch.listen()  # hear news in this process from now on, if it did not yet
        with self._lock:
            self._links[link.ref] = link
            self._links.move_to_end(link.ref)
            while len(self._links) > self.size:
                self._links.popitem(last=False)

    def forget(self, ref: str) -> None:
        with self._lock:
            self._links.pop(ref, None)
