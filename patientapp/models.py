"""SQLAlchemy tables. Deliberately small: no names, national ID numbers or notes (R52)."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
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
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    # The SMS's sender as the phone shows it (alphanumeric: at most 11 letters and digits); None: the
    # gateway's own sender. Set by an administrator on the clinic's settings page.
    sms_sender: Mapped[str | None] = mapped_column(String(11), nullable=True)
    # The form's duration until staff change it, in minutes.
    default_duration: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    # The clinic's routine when video fails (R64), linked from every staff page; None: the deployment's.
    emergency_url: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # Provider and its parameters (issue: clinic workspace); never shown to a patient before admission.
    room_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invitations: Mapped[list[Invitation]] = relationship(back_populates="clinic")


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_clinic_start", "clinic_id", "starts_at"),
                      Index("ix_invitations_clinic_state_start", "clinic_id", "state", "starts_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who this invitation is for (participants.ROLES). An appointment is the patient's invitation; the
    # relative, interpreter or health worker who joins it has an invitation of their own (their own
    # link, language, label, check and knock), whose `party_id` is the patient's (participants.py).
    role: Mapped[str] = mapped_column(String(16), default="patient", server_default="patient")
    party_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"),
                                                 nullable=True, index=True)
    # The name the video room shows for a participant, when staff typed one ("Tolk Amina"); otherwise
    # their role in the clinician's language. Never the patient's: theirs is the deployment's.
    call_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Random handle for cookies and signed links; not a capability on its own.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    # Raised when staff replace the link: patient sessions and signed QR/calendar links carry the
    # generation they were made in and stop working when it is no longer the current one (R3, R22).
    link_generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
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
    # When the patient withdrew consent (the state says so too; this keeps the time for the clinic).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    clinic: Mapped[Clinic] = relationship(back_populates="invitations", lazy="joined")
    link_tokens: Mapped[list[InvitationLink]] = relationship(back_populates="invitation",
                                                             cascade="all, delete-orphan")
    # The participants who join the patient's appointment (none on a participant's own invitation).
    party: Mapped[list[Invitation]] = relationship(foreign_keys=[party_id], order_by="Invitation.id",
                                                   lazy="select", passive_deletes=True)


class InvitationLink(Base):
    """One link to an invitation, as the SHA-256 of its token: a database leak yields no working links
    (R2). Staff may send another link (a lost SMS) while the others keep working; replacing the link
    (a wrong number) deletes them all and raises the invitation's generation."""

    __tablename__ = "invitation_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The HMAC of the typeable code that goes with the token (links.code_of); none for links made
    # before codes existed.
    code_digest: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invitation: Mapped[Invitation] = relationship(back_populates="link_tokens")


class DeviceCode(Base):
    """A short code that moves a visit to another device (device_codes.py): as an HMAC only, one use,
    minutes long. The invitation's generation at issue: a new link ends the codes made before (R3)."""

    __tablename__ = "device_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    link_generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    invitation: Mapped[Invitation] = relationship()


class Staff(Base):
    """A clinic's staff member. Signs in with passkeys only; the user handle is random (R16)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(10), default="staff")  # "admin" or "staff"
    # The workspace's language, chosen by the staff member (not the browser's), and whether a knock
    # plays a sound: preferences kept on the server, the same on every device.
    language: Mapped[str] = mapped_column(String(5), default="nb")
    knock_sound: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    user_handle: Mapped[bytes] = mapped_column(LargeBinary(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    clinic: Mapped[Clinic] = relationship(lazy="joined")
    passkeys: Mapped[list[Passkey]] = relationship(back_populates="staff", cascade="all, delete-orphan")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Passkey(Base):
    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(2048))
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    transports: Mapped[list] = mapped_column(JSON, default=list)
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    staff: Mapped[Staff] = relationship(back_populates="passkeys")


class Enrolment(Base):
    """A single-use link with which a staff member registers a passkey (R21)."""

    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    staff: Mapped[Staff] = relationship(lazy="joined")


class StaffSession(Base):
    """Server-side staff sessions, so that logout and disabling a user end them at once (R22, R26)."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    staff: Mapped[Staff] = relationship(lazy="joined")


class Challenge(Base):
    """A WebAuthn challenge: server-side, single-use, short-lived (R17)."""

    __tablename__ = "webauthn_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(10))  # "register" or "login"
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Knock(Base):
    """A patient waiting to be let in. One active knock per invitation (R12)."""

    __tablename__ = "knocks"
    __table_args__ = (Index("ix_knocks_invitation_state", "invitation_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12), default="waiting")
    consent_version: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lapses_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message: Mapped[str | None] = mapped_column(String(20), nullable=True)
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    admitted_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    handoff_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    handoff_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    handoff_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # SHA-256 of the browser session that went to the room: only it may go back while the hand-off
    # window lasts (a dropped call); any other device with the same link goes back to waiting (R12).
    handoff_device: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A knock after an admission (the call dropped): the clinic sees it as "knocking again".
    rejoin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    invitation: Mapped[Invitation] = relationship(lazy="joined")


class AuditEvent(Base):
    """Append-only record of staff actions and sign-ins: ids and codes, never tokens or names (R49)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    request_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    staff_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    clinic_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    invitation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(80), nullable=True)


class EmbedOrigin(Base):
    """A website origin (https://host[:port]) allowed to frame the clinic's /embed/ pages (R36)."""

    __tablename__ = "embed_origins"
    __table_args__ = (UniqueConstraint("clinic_id", "origin", name="uq_embed_origins_clinic_origin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmbedSection(Base):
    """The clinic's own text in the embedded guides, per language (phone hours, video slots): Markdown,
    and its HTML as cleaned when saved (cleaned again when shown, R47)."""

    __tablename__ = "embed_sections"
    __table_args__ = (UniqueConstraint("clinic_id", "language", name="uq_embed_sections_clinic_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5))
    markdown: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
