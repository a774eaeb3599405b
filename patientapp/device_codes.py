"""Move a visit to another device with a short code, instead of typing a 43-character link.

On the phone the patient asks for a code; on the PC they open the service's address, type the six
digits, and the PC gets a session of its own for the same invitation (the phone keeps its own).

A code is a one-use capability for ten minutes, so it is sized and guarded against guessing:
- 6 digits from the CSPRNG: 10^6 codes (19.9 bits). With L codes alive at once, one guess finds one
  with probability L / 10^6.
- Guesses are limited per address (RATE_LIMIT_CODE, limits.py); a right and a wrong guess take the
  same time (the view answers after CODE_ANSWER_SECONDS) and get the same page when wrong (R4).
- Only an HMAC of the code is kept (keyed with the app's secret): a database copy yields no codes.
- One code per invitation at a time; a new one ends the one before. A new link (a wrong number) ends
  the codes made before it (R3); so do cancellation and the end of the link's window.
"""
from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import links
from .models import DeviceCode, Invitation

DIGITS = 6
LIFETIME = timedelta(minutes=10)
_ATTEMPTS = 20  # new codes tried when one is taken by a live code (1 in 50,000 at 20 alive)


def normalise(typed: str) -> str | None:
    """The six digits in what was typed: spaces, dashes and dots ignored, digits of any script
    (Arabic-Indic, Eastern Arabic-Indic for Urdu, full-width) read as digits. None if not six digits."""
    if not isinstance(typed, str) or len(typed) > 40:
        return None
    digits = []
    for char in typed:
        if char in links.CODE_SEPARATORS:
            continue
        value = unicodedata.digit(char, None)
        if value is None:
            return None
        digits.append(str(value))
    code = "".join(digits)
    return code if len(code) == DIGITS else None


def grouped(code: str) -> str:
    """'123 456': easier to read out and to type."""
    return f"{code[:3]} {code[3:]}"


def _digest(secret_key: str, code: str) -> str:
    return links.keyed_digest(secret_key, "device-code", code)


def issue(session: Session, invitation: Invitation, secret_key: str, now: datetime) -> tuple[str, datetime]:
    """A new code for this invitation (the one before ends); returns it and when it stops working."""
    session.execute(delete(DeviceCode).where(
        (DeviceCode.invitation_id == invitation.id) | (DeviceCode.expires_at < now)))
    expires = now + LIFETIME
    for _ in range(_ATTEMPTS):
        code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
        digest = _digest(secret_key, code)
        if session.scalar(select(DeviceCode.id).where(DeviceCode.digest == digest)) is None:
            session.add(DeviceCode(invitation_id=invitation.id, digest=digest,
                                   link_generation=invitation.link_generation or 1, created_at=now, expires_at=expires))
            session.flush()
            return code, expires
    raise RuntimeError("no free device code")  # 20 taken in a row: a million codes alive, or a broken CSPRNG


def redeem(session: Session, typed: str, secret_key: str, now: datetime) -> Invitation | None:
    """The invitation a typed code opens, using the code up; None for any code that does not work.
    Every attempt costs the same work: an HMAC and one query, whatever was typed (R4)."""
    code = normalise(typed)
    digest = _digest(secret_key, code if code is not None else "not-a-code")
    found = session.scalar(select(DeviceCode).where(DeviceCode.digest == digest).with_for_update())
    if code is None or found is None:
        return None
    session.delete(found)  # one use, whether or not the invitation still works
    session.flush()
    invitation = found.invitation
    if found.expires_at < now or found.link_generation != (invitation.link_generation or 1):
        return None
    return invitation


def purge_expired(session: Session, now: datetime) -> int:
    """Delete the codes whose ten minutes are over (flask purge); returns how many."""
    return session.execute(delete(DeviceCode).where(DeviceCode.expires_at < now)).rowcount or 0
