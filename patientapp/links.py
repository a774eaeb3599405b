"""Invitation link tokens and the short-lived signed links that stand in for them.

The database keeps only SHA-256 of a link token (R1, R2), so the server can never print the
original link again. Where a patient needs a link to *this* invitation later (a QR code to move to
the phone, a calendar entry), we sign the invitation's random `ref` with the app's secret key
instead: such a link cannot be forged, expires, and still dies with the invitation.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
PURPOSES = {"qr": "q", "calendar": "c"}


def new_token() -> str:
    """256 bits from the CSPRNG, URL-safe: 43 characters (R1)."""
    return secrets.token_urlsafe(32)


def new_ref() -> str:
    return secrets.token_urlsafe(16)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: str) -> bool:
    return bool(TOKEN_PATTERN.match(token))


# --- the typeable code: the link for people who cannot tap one ----------------------------------
# Printed on the letter and sent in the SMS, typed on a PC at the service's address. Ten characters
# from 30 that are hard to mix up (digits 2-9 and the letters but I, L, O and U: no 0/O or 1/I/L):
# 30^10 = 5.9e14 codes, 49 bits. It follows from the link's token (whoever has the token has the
# code), and only its HMAC is kept, keyed with the app's secret: 49 bits could be tried offline
# against a plain hash from a copied database; against the key they cannot (R2).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
CODE_SEPARATORS = " -.\u00a0\u2009\u202f\t"


def code_of(token: str) -> str:
    """The typeable code that goes with a link token."""
    number = int.from_bytes(hashlib.sha256(b"typeable-code:" + token.encode("ascii")).digest(), "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return "".join(chars)


def grouped_code(code: str) -> str:
    """'ABCDE FGHJK': two groups of five, to read and to type."""
    return f"{code[:5]} {code[5:]}"


def normalise_code(typed: str) -> str | None:
    """The code in what was typed (any case; spaces and dashes ignored), or None if it cannot be one."""
    if not isinstance(typed, str) or len(typed) > 40:
        return None
    code = "".join(c for c in typed if c not in CODE_SEPARATORS).upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def short_address(public_base_url: str) -> str:
    """The service's address as a person types it where a code goes: no scheme, no trailing slash."""
    base = urlsplit(public_base_url)
    return base.netloc + base.path.rstrip("/")


def keyed_digest(key: str, purpose: str, value: str) -> str:
    """HMAC-SHA-256 of a short code, keyed with the app's secret: what is stored of a code too short
    to keep as a plain hash (R2). `purpose` keeps one kind of code from standing for another."""
    return hmac.new(key.encode("utf-8"), f"{purpose}:{value}".encode("ascii"), hashlib.sha256).hexdigest()


def code_digest(key: str, code: str) -> str:
    return keyed_digest(key, "typeable-code", code)


def with_generation(ref: str, generation: int) -> str:
    """What a signed link carries: the ref and the invitation's link generation, so that replacing
    the link (a wrong number) also ends the QR and calendar links made before (R3)."""
    return f"{ref}:{generation}"


def split_generation(value: str) -> tuple[str, int]:
    """The ref and generation inside a signed link; links signed before generations count as the first."""
    ref, colon, generation = value.partition(":")
    if not colon:
        return ref, 1
    if generation.isascii() and generation.isdigit() and len(generation) < 9:
        return ref, int(generation)
    return ref, 0  # no invitation has generation 0: the link opens nothing


def _signer(secret_key: str, purpose: str) -> TimestampSigner:
    return TimestampSigner(secret_key, salt="patientapp.device-link." + purpose)


def sign_ref(secret_key: str, ref: str, purpose: str) -> str:
    """A compact signed form of `ref`: '<purpose letter>.<ref>.<time>.<signature>'."""
    letter = PURPOSES[purpose]
    return letter + "." + _signer(secret_key, purpose).sign(ref).decode("ascii")


def unsign_ref(secret_key: str, signed: str, max_age_for: dict[str, int | None]) -> str | None:
    """The ref inside a signed link, or None if it is forged, malformed or too old."""
    letter, _, rest = signed.partition(".")
    purpose = next((p for p, mark in PURPOSES.items() if mark == letter), None)
    if purpose is None or not rest or len(signed) > 200:
        return None
    try:
        return _signer(secret_key, purpose).unsign(rest, max_age=max_age_for.get(purpose)).decode("ascii")
    except (BadSignature, SignatureExpired, UnicodeDecodeError):
        return None
