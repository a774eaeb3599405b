"""Embedding on a clinic's website: the clinic's registered origins and its own section of the guides.

Pure Python apart from the SQLAlchemy session handed in; no Flask. Origins end up in a CSP
`frame-ancestors` list and as postMessage targets (R36), so they are parsed strictly and stored in
one canonical form: scheme, lower-case ASCII host (IDN as punycode), and a port only when it is not
the default. Sections are Markdown, rendered and cleaned by sanitise.py when saved and again when
shown (R47).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from .config import LOCAL_HOSTS
from .models import Clinic, EmbedOrigin, EmbedSection, utcnow
from .sanitise import clean_html, markdown_html

MAX_ORIGINS = 10
MAX_ORIGIN_LENGTH = 200
MAX_SECTION_CHARS = 4000
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Printable ASCII plus any non-ASCII letter (for IDN); no spaces, controls or backslashes.
_CHARS = re.compile(r"[!-\[\]-~\u00a0-\U0010ffff]+")
_DEFAULT_PORTS = {"https": 443, "http": 80}

# The same Markdown settings as the guides: no raw HTML, no autolinking.


class OriginError(ValueError):
    """An origin that must not be registered; `code` names the reason for the translated message."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _ascii_host(host: str) -> str:
    """The host as lower-case ASCII (IDN labels as punycode), or OriginError."""
    host = host.lower()
    if host.endswith("."):
        raise OriginError("host")
    try:
        # Python's codec is IDNA 2003: it maps Unicode labels to xn--… and checks existing xn-- labels.
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
        for label in ascii_host.split("."):
            if label.startswith("xn--"):
                label.encode("ascii").decode("idna")
    except UnicodeError as exc:
        raise OriginError("idn") from exc
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in ascii_host.split(".")):
        raise OriginError("host")
    return ascii_host


def normalise_origin(raw: str, allow_local: bool = False) -> str:
    """`https://host[:port]` in canonical form, or OriginError. No wildcards, paths or userinfo."""
    if not isinstance(raw, str):
        raise OriginError("empty")
    value = raw.strip()
    if not value:
        raise OriginError("empty")
    if len(value) > MAX_ORIGIN_LENGTH or not _CHARS.fullmatch(value):
        raise OriginError("format")
    if "*" in value:
        raise OriginError("wildcard")
    # Invisible and control characters (zero-width, bidi overrides) would make two origins look alike.
    if any(not ch.isascii() and unicodedata.category(ch)[0] in "CZ" for ch in value):
        raise OriginError("format")
    # One trailing slash is what a browser's address bar shows: accept it, nothing more.
    if value.endswith("/") and value.count("/") == 3:
        value = value[:-1]
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise OriginError("format") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not value.lower().startswith(scheme + "://"):
        raise OriginError("scheme")
    if "@" in parts.netloc:
        raise OriginError("userinfo")
    if parts.path or parts.query or parts.fragment or "?" in value or "#" in value:
        raise OriginError("path")
    hostname = parts.hostname or ""
    if not hostname or "[" in parts.netloc:
        raise OriginError("host")
    host = _ascii_host(hostname)
    local = host in LOCAL_HOSTS
    if local and not allow_local:
        raise OriginError("local")
    if scheme == "http" and not local:
        raise OriginError("scheme")
    if not local and ("." not in host or host.rsplit(".", 1)[1].isdigit()):
        # A clinic's website has a public name; bare names and IP addresses are refused.
        raise OriginError("host")
    if port is not None and not 1 <= port <= 65535:
        raise OriginError("format")
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def display_origin(origin: str) -> str:
    """The origin with IDN labels shown in Unicode, for people to read (the ASCII form is what is used)."""
    scheme, rest = origin.split("://", 1)
    host, _, port = rest.partition(":")
    try:
        shown = host.encode("ascii").decode("idna")
    except UnicodeError:
        shown = host
    return f"{scheme}://{shown}" + (f":{port}" if port else "")


# --- the clinic's origins ----------------------------------------------------------------------

def origins(db: Session, clinic_id: int) -> list[EmbedOrigin]:
    return list(db.scalars(select(EmbedOrigin).where(EmbedOrigin.clinic_id == clinic_id).order_by(EmbedOrigin.id)))


def origin_list(db: Session, clinic_id: int) -> list[str]:
    return [row.origin for row in origins(db, clinic_id)]


def add_origin(db: Session, clinic: Clinic, raw: str, allow_local: bool = False) -> EmbedOrigin:
    """Register one origin for the clinic; OriginError for a bad, duplicate or one-too-many origin."""
    origin = normalise_origin(raw, allow_local)
    existing = origin_list(db, clinic.id)
    if origin in existing:
        raise OriginError("duplicate")
    if len(existing) >= MAX_ORIGINS:
        raise OriginError("too-many")
    row = EmbedOrigin(clinic_id=clinic.id, origin=origin, created_at=utcnow())
    db.add(row)
    db.flush()
    return row


def remove_origin(db: Session, clinic_id: int, origin_id: int) -> EmbedOrigin | None:
    row = db.get(EmbedOrigin, origin_id)
    if row is None or row.clinic_id != clinic_id:
        return None
    db.delete(row)
    db.flush()
    return row


def frame_ancestors(registered: list[str]) -> str:
    """The CSP frame-ancestors value for one clinic: this app and that clinic's origins only (R36)."""
    return " ".join(["'self'", *registered])


# --- the clinic's own section of the guides ------------------------------------------------------

@dataclass(frozen=True)
class Section:
    language: str
    markdown: str
    html: Markup


class SectionError(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def render_section(markdown: str) -> Markup:
    """Markdown to sanitised HTML, as the guides are (R47)."""
    return markdown_html(markdown)


def save_section(db: Session, clinic_id: int, language: str, markdown: str,
                 staff_id: int | None) -> EmbedSection | None:
    """Store (or, when empty, remove) the clinic's section in one language. Cleaned on save (R47)."""
    text = (markdown or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > MAX_SECTION_CHARS:
        raise SectionError("too-long")
    if "\x00" in text:
        raise SectionError("invalid")
    row = db.scalar(select(EmbedSection).where(EmbedSection.clinic_id == clinic_id, EmbedSection.language == language))
    if not text:
        if row is not None:
            db.delete(row)
            db.flush()
        return None
    html = str(render_section(text))
    if row is None:
        row = EmbedSection(clinic_id=clinic_id, language=language)
        db.add(row)
    row.markdown, row.html, row.updated_at, row.updated_by = text, html, utcnow(), staff_id
    db.flush()
    return row


def sections(db: Session, clinic_id: int) -> dict[str, EmbedSection]:
    return {row.language: row for row in db.scalars(select(EmbedSection).where(EmbedSection.clinic_id == clinic_id))}


def section_for(db: Session, clinic_id: int, language: str, fallback: str = "nb") -> Section | None:
    """The section in `language`, else in the clinic's own language; cleaned again on the way out (R47)."""
    rows = sections(db, clinic_id)
    row = rows.get(language) or rows.get(fallback)
    if row is None:
        return None
    return Section(row.language, row.markdown, clean_html(row.html))
