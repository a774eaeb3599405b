"""Configuration: safe defaults, overridden by PATIENTAPP_* environment variables."""
from __future__ import annotations

import os
from urllib.parse import urlsplit

PREFIX = "PATIENTAPP_"

DEFAULTS: dict[str, object] = {
    # Where patients reach us. Every link we send is built from this, never from the
    # request's Host header (SECURITY.md R9).
    "PUBLIC_BASE_URL": "http://localhost:5000",
    "DATABASE_URL": "",  # empty: SQLite in the instance folder
    "REDIS_URL": "",
    "SECRET_KEY": "",  # empty: generated once and kept in the instance folder
    "EXTRA_HOSTS": "",  # host names to answer for besides PUBLIC_BASE_URL's, comma-separated
    "DEFAULT_TIME_ZONE": "Europe/Oslo",
    # A link keeps working until the appointment's end plus this grace (R3).
    "LINK_GRACE_MINUTES": 120,
    # The QR code on a large screen opens the invitation on a phone for this long.
    "QR_LINK_MAX_AGE_SECONDS": 1800,
    "PATIENT_SESSION_HOURS": 24,
    "CONTENT_DIR": "",  # empty: the repository's content/ folder
    "LOG_LEVEL": "INFO",
}


def _coerce(default: object, raw: str) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


def from_environment(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Return DEFAULTS overridden by PATIENTAPP_<NAME> variables, typed like the default."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        raw = environ.get(PREFIX + name)
        if raw is not None and raw != "":
            config[name] = _coerce(default, raw)
    return config


def trusted_hosts(public_base_url: str, extra: str) -> list[str]:
    """Hosts Flask will answer for: the public one, plus any configured extras."""
    hosts = [urlsplit(public_base_url).hostname or "localhost"]
    hosts += [h.strip() for h in extra.split(",") if h.strip()]
    return hosts
