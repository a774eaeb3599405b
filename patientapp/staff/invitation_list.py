"""The invitations list: a clinic's invitations today, in the days ahead and before (as long as they
are kept), filtered and paged. Reads only; every change goes through the invitation's own page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from .. import i18n, invitations, knocks, timefmt
from ..models import Clinic, Invitation
from . import dashboard

PER_PAGE = 50
PERIODS = ("today", "upcoming", "past")


@dataclass(frozen=True)
class Filters:
    period: str = "today"  # one of PERIODS; a `day` overrides it
    day: date | None = None
    state: str | None = None  # one of invitations.STATES
    room: str | None = None
    language: str | None = None
    label: str | None = None  # part of the staff-only label, any case
    page: int = 1


@dataclass
class Listing:
    rows: list[tuple[str, dashboard.Row]]  # (the local date, the row as the dashboard shows it)
    total: int
    page: int
    pages: int
    filters: Filters


def build(db: Session, clinic: Clinic, filters: Filters, now: datetime, locale: str) -> Listing:
    zone = ZoneInfo(clinic.time_zone)
    today = now.astimezone(zone).date()

    def begins(day: date) -> datetime:
        return timefmt.midnight_utc(day, clinic.time_zone)

    # Appointments: a participant's invitation is shown on the patient's page.
    query = (select(Invitation).options(lazyload(Invitation.clinic))
             .where(Invitation.clinic_id == clinic.id, Invitation.party_id.is_(None)))
    newest_first = False
    day = filters.day or (today if filters.period == "today" else None)
    if day is not None:
        query = query.where(Invitation.starts_at >= begins(day), Invitation.starts_at < begins(day + timedelta(days=1)))
    elif filters.period == "upcoming":
        query = query.where(Invitation.starts_at >= begins(today + timedelta(days=1)))
    else:  # past
        query = query.where(Invitation.starts_at < begins(today))
        newest_first = True
    if filters.state:
        query = query.where(Invitation.state == filters.state)
    if filters.room:
        query = query.where(Invitation.room_ref == filters.room)
    if filters.language:
        query = query.where(Invitation.language == filters.language)
    if filters.label:
        query = query.where(func.lower(Invitation.label).contains(filters.label.lower(), autoescape=True))
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, filters.page), pages)
    order = (Invitation.starts_at.desc(), Invitation.id.desc()) if newest_first else (Invitation.starts_at,
                                                                                        Invitation.id)
    shown = db.scalars(query.order_by(*order).offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    # Each row's clinic is this one, already in the session: read from there, not queried per row.
    latest = knocks.latest_knocks(db, [invitation.id for invitation in shown])
    rows = [(timefmt.day(invitation.starts_at.astimezone(zone).date(), locale),
             dashboard.row(invitation, latest.get(invitation.id), now)) for invitation in shown]
    return Listing(rows=rows, total=total, page=page, pages=pages, filters=filters)


def parse(args) -> Filters:
    """Filters from the query string; whatever is not understood is left out, never an error page."""
    def one_of(value, allowed):
        return value if value in allowed else None

    try:
        day = date.fromisoformat(args.get("day", "")[:10]) if args.get("day") else None
    except ValueError:
        day = None
    if day is not None and not 2000 <= day.year <= 2100:
        day = None  # year 1 or 9999 would overflow on the way to UTC
    try:
        page = max(1, min(int(args.get("page", "1")), 100_000))
    except ValueError:
        page = 1
    label = " ".join(str(args.get("label", "")).split())[:invitations.MAX_LABEL_LENGTH] or None
    room = str(args.get("room", ""))[:40] or None
    return Filters(period=one_of(args.get("period"), PERIODS) or "today", day=day,
                   state=one_of(args.get("state"), invitations.STATES),
                   room=room, language=one_of(args.get("language"), i18n.LANGUAGES), label=label, page=page)
