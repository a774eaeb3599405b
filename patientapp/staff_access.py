"""Staff sign-in with passkeys (py_webauthn), enrolment links and server-side sessions (R16–R26).

No passwords and no other way in. Every WebAuthn ceremony keeps its challenge on the server, keyed
to a random flow id held in the browser's session, for at most five minutes, and deletes it on the
first verification attempt whatever the outcome.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .db import begin_write
from .models import Challenge, Enrolment, Passkey, Staff, StaffSession

CHALLENGE_TTL = timedelta(minutes=5)
ENROLMENT_TTL = timedelta(hours=1)
IDLE_TIMEOUT = timedelta(minutes=30)  # ASVS 4.0.3 L2 values (R26)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# Writing last_seen on every request would turn every read into a write; a minute is precise enough.
TOUCH_EVERY = timedelta(seconds=60)


class AuthError(Exception):
    """A failed ceremony; `reason` is a short code for the audit log, never shown to the user as is."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RelyingParty:
    """Who we are to the authenticator: from configuration, never from request headers (R18)."""

    id: str
    name: str
    origin: str

    @classmethod
    def from_base_url(cls, base_url: str, name: str) -> RelyingParty:
        parts = urlsplit(base_url)
        return cls(id=parts.hostname or "localhost", name=name, origin=f"{parts.scheme}://{parts.netloc}")


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_user_handle() -> bytes:
    """64 random bytes: not the e-mail, not an HR number (R16)."""
    return secrets.token_bytes(64)


# --- enrolment ---------------------------------------------------------------------------------

def new_enrolment(db: Session, staff: Staff, now: datetime) -> str:
    """A single-use enrolment link token (≥128 bits), valid for an hour; only its hash is kept. It
    ends the person's other unused links: at most one is live per person (R21, R22)."""
    _end_unused_enrolments(db, staff.id)
    token = new_secret()
    db.add(Enrolment(staff=staff, token_hash=_hash(token), created_at=now, expires_at=now + ENROLMENT_TTL))
    return token


def _end_unused_enrolments(db: Session, staff_id: int, keep: int | None = None) -> None:
    query = delete(Enrolment).where(Enrolment.staff_id == staff_id, Enrolment.used_at.is_(None))
    if keep is not None:
        query = query.where(Enrolment.id != keep)
    db.execute(query)


def use_enrolment(db: Session, enrolment: Enrolment, now: datetime) -> None:
    """The link has made a passkey: it is used, and any other link of the person's ends with it."""
    enrolment.used_at = now
    _end_unused_enrolments(db, enrolment.staff_id, keep=enrolment.id)


def remove_passkey(db: Session, passkey: Passkey) -> None:
    """An administrator removes someone's passkey (a lost or stolen device): it can no longer sign in,
    and the person's sessions end, since one of them may have been opened with it (R22)."""
    staff_id = passkey.staff_id
    db.delete(passkey)
    end_all_sessions(db, staff_id)


def disable(db: Session, staff: Staff, now: datetime) -> None:
    """Disable a user: every session and unused enrolment link of theirs ends at once (R22)."""
    staff.disabled_at = staff.disabled_at or now
    end_all_sessions(db, staff.id)
    _end_unused_enrolments(db, staff.id)


def enable(staff: Staff) -> None:
    """Let a disabled user back in with the passkeys they have; no session is opened for them."""
    staff.disabled_at = None


def set_preferences(staff: Staff, *, language: str | None = None, knock_sound: bool | None = None) -> None:
    """The staff member's own choices, kept on the server so that every device shows the same."""
    from . import i18n

    if language is not None:
        if language not in i18n.LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        staff.language = language
    if knock_sound is not None:
        staff.knock_sound = bool(knock_sound)


def _usable(enrolment: Enrolment | None, now: datetime) -> Enrolment | None:
    """The enrolment if it is unused, unexpired and its person not disabled (R21)."""
    if enrolment is None or enrolment.used_at or now > enrolment.expires_at or enrolment.staff.disabled_at:
        return None
    return enrolment


def find_enrolment(db: Session, token: str, now: datetime) -> Enrolment | None:
    return _usable(db.scalar(select(Enrolment).where(Enrolment.token_hash == _hash(token))), now)


def enrolment_by_id(db: Session, enrolment_id: object, now: datetime) -> Enrolment | None:
    return _usable(db.get(Enrolment, enrolment_id), now) if isinstance(enrolment_id, int) else None


# --- challenges --------------------------------------------------------------------------------

def _store_challenge(db: Session, flow: str, purpose: str, challenge: bytes, staff: Staff | None, now: datetime):
    db.execute(delete(Challenge).where(Challenge.flow_hash == _hash(flow)))
    db.execute(delete(Challenge).where(Challenge.expires_at < now))
    db.add(Challenge(flow_hash=_hash(flow), purpose=purpose, challenge=challenge,
                     staff_id=staff.id if staff else None, expires_at=now + CHALLENGE_TTL))


def _take_challenge(db: Session, flow: str | None, purpose: str, now: datetime) -> Challenge:
    """The flow's challenge, deleted on the spot: a second attempt with it finds nothing (R17)."""
    if not flow:
        raise AuthError("no-challenge")
    challenge = db.scalar(select(Challenge).where(Challenge.flow_hash == _hash(flow)))
    if challenge is None:
        raise AuthError("no-challenge")
    db.delete(challenge)
    db.flush()
    if challenge.purpose != purpose:
        raise AuthError("wrong-challenge")
    if now > challenge.expires_at:
        raise AuthError("challenge-expired")
    return challenge


def _client_data(credential: dict) -> dict:
    try:
        raw = base64url_to_bytes(credential["response"]["clientDataJSON"])
        data = json.loads(raw)
    except (KeyError, TypeError, ValueError):
        raise AuthError("malformed") from None
    if not isinstance(data, dict):
        raise AuthError("malformed")
    # py_webauthn does not look at crossOrigin: an assertion made inside a foreign frame is refused (R18).
    if data.get("crossOrigin") is True:
        raise AuthError("cross-origin")
    return data


def _parse(credential_json: str) -> dict:
    try:
        credential = json.loads(credential_json)
    except (TypeError, ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        raise AuthError("malformed") from None
    if not isinstance(credential, dict) or not isinstance(credential.get("response"), dict):
        raise AuthError("malformed")
    return credential


# --- registration ------------------------------------------------------------------------------

def registration_options(db: Session, staff: Staff, flow: str, rp: RelyingParty, now: datetime) -> str:
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=staff.user_handle,
        user_name=staff.email,
        user_display_name=staff.display_name,
        attestation=AttestationConveyancePreference.NONE,
        # A discoverable credential with user verification: the second factor a hospital expects.
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in staff.passkeys],
        timeout=120_000,
    )
    _store_challenge(db, flow, "register", options.challenge, staff, now)
    return options_to_json(options)


def verify_registration(db: Session, staff: Staff, flow: str | None, credential_json: str, rp: RelyingParty,
                        now: datetime, name: str) -> Passkey:
    challenge = _take_challenge(db, flow, "register", now)
    if challenge.staff_id != staff.id:
        raise AuthError("wrong-challenge")
    credential = _parse(credential_json)
    _client_data(credential)
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge.challenge, expected_rp_id=rp.id,
            expected_origin=rp.origin, require_user_verification=True)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        # WebAuthnException: py_webauthn's own parse errors too (a credential without an id, bad CBOR…).
        raise AuthError("invalid-registration") from None
    transports = credential.get("response", {}).get("transports") or []
    passkey = Passkey(staff=staff, credential_id=verified.credential_id, public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, name=name[:60],
                      transports=[t for t in transports if isinstance(t, str)][:5], created_at=now)
    db.add(passkey)
    return passkey


# --- authentication ----------------------------------------------------------------------------

def authentication_options(db: Session, flow: str, rp: RelyingParty, now: datetime) -> str:
    # No allow list: the authenticator offers its discoverable credentials (R20).
    options = generate_authentication_options(rp_id=rp.id, allow_credentials=[],
                                              user_verification=UserVerificationRequirement.REQUIRED)
    _store_challenge(db, flow, "login", options.challenge, None, now)
    return options_to_json(options)


def verify_authentication(db: Session, flow: str | None, credential_json: str, rp: RelyingParty,
                          now: datetime) -> tuple[Staff, Passkey]:
    """The staff member behind a valid assertion; AuthError otherwise (one message for all, R20)."""
    challenge = _take_challenge(db, flow, "login", now)
    credential = _parse(credential_json)
    _client_data(credential)
    try:
        raw_id = base64url_to_bytes(credential["rawId"])
        user_handle = credential["response"].get("userHandle")
        user_handle = base64url_to_bytes(user_handle) if user_handle else None
    except (KeyError, TypeError, ValueError):
        raise AuthError("malformed") from None
    passkey = db.scalar(select(Passkey).where(Passkey.credential_id == raw_id))
    if passkey is None:
        raise AuthError("unknown-credential")
    staff = passkey.staff
    if user_handle is None or not secrets.compare_digest(user_handle, staff.user_handle):
        raise AuthError("user-handle-mismatch")
    if staff.disabled_at is not None:
        raise AuthError("disabled")
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge.challenge, expected_rp_id=rp.id,
            expected_origin=rp.origin, credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except InvalidAuthenticationResponse as error:
        # A counter that did not grow means the key may have been copied (R19).
        raise AuthError("sign-count" if "sign count" in str(error).lower() else "invalid-assertion") from None
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise AuthError("invalid-assertion") from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now
    return staff, passkey


def _raw_id(credential_json: str):
    """The `rawId` a credential's JSON names, as sent (of any JSON type); None when there is none."""
    try:
        credential = json.loads(credential_json)
    except (TypeError, ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return None
    return credential.get("rawId") if isinstance(credential, dict) else None


def account_of_assertion(db: Session, credential_json: str) -> int | None:
    """Whose passkey an assertion names, before any checking: for the per-account rate limit (R45)."""
    raw = _raw_id(credential_json)
    if raw is None:
        return None
    try:
        raw_id = base64url_to_bytes(raw)
    except (TypeError, ValueError):
        return None
    return db.scalar(select(Passkey.staff_id).where(Passkey.credential_id == raw_id))


def credential_id_hash(credential_json: str) -> str:
    """A short hash of the credential id for the audit log: identifies, reveals nothing (R23)."""
    raw = _raw_id(credential_json)
    return hashlib.sha256(str(raw).encode()).hexdigest()[:16] if raw else "-"


# --- sessions ----------------------------------------------------------------------------------

def start_session(db: Session, staff: Staff, now: datetime) -> str:
    token = new_secret()
    db.add(StaffSession(token_hash=_hash(token), staff=staff, created_at=now, last_seen_at=now,
                        expires_at=now + ABSOLUTE_TIMEOUT))
    return token


def load_session(db: Session, token: str | None, now: datetime, idle: timedelta = IDLE_TIMEOUT) -> StaffSession | None:
    """The live session for a cookie, or None; an idle, expired or disabled one is deleted."""
    if not token or len(token) > 100:
        return None
    record = db.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
    if record is None:
        return None
    dead = now > record.expires_at or now - record.last_seen_at > idle or record.staff.disabled_at is not None
    if dead or now - record.last_seen_at > TOUCH_EVERY:
        begin_write(db)
        record = db.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
        if record is None:
            return None
        if dead:
            db.delete(record)
            db.commit()
            return None
        record.last_seen_at = now
        db.commit()
    return record


def end_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))


def end_all_sessions(db: Session, staff_id: int) -> None:
    db.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id))


def b64(value: bytes) -> str:
    return bytes_to_base64url(value)
