"""SQLAlchemy tables. Deliberately small: no names, national ID numbers or notes (R52)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, ForeignKey, Index, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so that Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite has no time zones and PostgreSQL's would vary."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Clinic(Base):
    __tablename__ = "clinics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    # Neutral name patients see in the SMS and on the page: never one that reveals a diagnosis.
    display_name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str] = mapped_column(String(20))
    time_zone: Mapped[str] = mapped_column(String(40), default="Europe/Oslo")
    # Provider and its parameters (issue: clinic workspace); never shown to a patient before admission.
    room_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invitations: Mapped[list["Invitation"]] = relationship(back_populates="clinic")


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_clinic_start", "clinic_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random handle for cookies and signed links; not a capability on its own.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    # SHA-256 of the link token: a database leak yields no working links (R2).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(5))
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    # Staff-only initials or reference, at most 20 characters; never a national ID number.
    label: Mapped[str | None] = mapped_column(String(20), nullable=True)
    room_ref: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The equipment check's result, one word per check ({"camera": "ok", …}); never media.
    check_summary: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    clinic: Mapped[Clinic] = relationship(back_populates="invitations", lazy="joined")
