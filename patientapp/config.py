"""Configuration: safe defaults, overridden by PATIENTAPP_* environment variables."""
from __future__ import annotations

import os
from urllib.parse import urlsplit

PREFIX = "PATIENTAPP_"
# Hosts that exist only on this machine: plain http to them is allowed in development and in the
# tests' harnesses (local video rooms, embedding pages, SMS gateways and the outbox), never elsewhere.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
# The video services a patient may be handed over to unless PATIENTAPP_ROOM_HOSTS says otherwise.
DEFAULT_ROOM_HOSTS = ("join.nhn.no", "*.whereby.com")

DEFAULTS: dict[str, object] = {
    # Where patients reach us. Every link we send is built from this, never from the
    # request's Host header (SECURITY.md R9).
    "PUBLIC_BASE_URL": "http://localhost:5000",
    "DATABASE_URL": "",  # empty: SQLite in the instance folder
    # Shared rate-limit counters (patientapp/limits.py); empty: memory://, one gunicorn worker only.
    "REDIS_URL": "",
    # Rate limits (R45). Off only for tests and benchmarks that send thousands of requests from one address.
    "RATE_LIMITS": True,
    "RATE_LIMIT_PREFIX": "patientapp",  # one per app sharing a Redis
    "RATE_LIMIT_LINK": "30/minute;300/hour",  # per address, /i/ and /d/ together
    "RATE_LIMIT_KNOCK": "10/minute",  # per visit
    "RATE_LIMIT_STATUS": "60/minute",  # per visit
    "RATE_LIMIT_WEBAUTHN": "10/minute",  # per address, each WebAuthn endpoint
    "RATE_LIMIT_WEBAUTHN_ACCOUNT": "50/hour",  # per staff member, the verify and registration steps together
    "RATE_LIMIT_SMS": "20/hour",  # per staff member
    "RATE_LIMIT_SMS_CLINIC": "200/day",
    "RATE_LIMIT_ENROL": "5/hour",  # per address, enrolment links
    "RATE_LIMIT_DOWNLOAD": "6/minute;30/hour",  # per address, the check's speed sample (256 KiB each)
    "RATE_LIMIT_CODE": "10/minute;30/hour",  # per address, codes typed to move a visit to another device
    "SECRET_KEY": "",  # empty: generated once and kept in the instance folder
    "EXTRA_HOSTS": "",  # host names to answer for besides PUBLIC_BASE_URL's, comma-separated
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (ProxyFix, R31); 0: none.
    "PROXY_HOPS": 0,
    "DEFAULT_TIME_ZONE": "Europe/Oslo",
    # A link keeps working until the appointment's end plus this grace (R3).
    "LINK_GRACE_MINUTES": 120,
    "INVITATION_HORIZON_DAYS": 365,  # how far ahead staff may make an appointment
    # The QR code on a large screen opens the invitation on a phone for this long.
    "QR_LINK_MAX_AGE_SECONDS": 1800,
    # A typed device code is answered after this long, right or wrong: a guess learns nothing from time.
    "CODE_ANSWER_SECONDS": 0.5,
    "PATIENT_SESSION_HOURS": 24,
    # `flask purge` deletes an invitation and all tied to it this long after the appointment ends (R54).
    "RETENTION_HOURS": 24,
    # ... and audit rows after this many days (R49); 0 keeps them. A year covers the clinic's yearly
    # internal control and most complaints; after the purge the rows hold ids and codes only.
    "AUDIT_RETENTION_DAYS": 365,
    # A knock nobody answers lapses after this (15 minutes, as Join does).
    "KNOCK_LAPSE_SECONDS": 900,
    # How often the waiting page asks for news when the server cannot hold its request (R60: 3-5 s).
    "STATUS_POLL_SECONDS": 3,
    # How long the server holds a waiting patient's status request open until something changes
    # (patientapp/status_hold.py). 0 turns holding off: plain polling every STATUS_POLL_SECONDS.
    "STATUS_HOLD_SECONDS": 20,
    # Held requests per process at most. 0: what the gunicorn worker can hold less a reserve for
    # everything else (its worker_connections under gevent, its threads under gthread).
    "STATUS_HOLD_MAX": 0,
    # News of a change wakes held requests at once (patientapp/status_news.py); this slow poll is the
    # safety net for news a channel outage lost.
    "STATUS_SAFETY_POLL_SECONDS": 5,
    # Requests at work at once per process (patientapp/concurrency.py); the rest wait their turn, up to
    # ACTIVE_REQUEST_WAIT_SECONDS, then get a calm 503. 0: no limit.
    "MAX_ACTIVE_REQUESTS": 8,
    "ACTIVE_REQUEST_WAIT_SECONDS": 20,
    # Video services a patient may be handed over to (R11); *.example.com matches subdomains.
    "ROOM_HOSTS": ",".join(DEFAULT_ROOM_HOSTS),
    # Development and tests only: allow http://localhost rooms (a stand-in for the video service).
    "ALLOW_LOCAL_ROOMS": False,
    # The name the patient gets in the video room: neutral, never the label (R13).
    "PATIENT_DISPLAY_NAME": "Pasient",
    "RP_NAME": "patientapp",
    # The clinic's own routine for when video fails (a page on its intranet), linked from the dashboard.
    "EMERGENCY_ROUTINE_URL": "",
    "STAFF_IDLE_MINUTES": 30,
    "SMS_GATEWAY": "outbox",
    # The development outbox refuses a public https PUBLIC_BASE_URL unless this is set (a test host).
    "SMS_OUTBOX_ALLOWED": False,
    "SMS_HTTP_URL": "",
    "SMS_HTTP_USERNAME": "",
    "SMS_HTTP_PASSWORD": "",
    "SMS_HTTP_TOKEN": "",
    "SMS_SENDER": "",
    "CONTENT_DIR": "",  # empty: the repository's content/ folder
    "LOG_LEVEL": "INFO",
}


def _coerce(default: object, raw: str) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
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
