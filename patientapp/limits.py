"""Rate limits on the exposed endpoints (SECURITY.md R45), with Flask-Limiter.

Counters live in Redis (PATIENTAPP_REDIS_URL) so that every worker and every app host counts
together; without Redis they live in this process's memory, which is right for one worker only
(with n workers "10/minute" becomes "n × 10/minute"), so start-up refuses that combination. When
Redis goes away, Flask-Limiter counts in memory until it is back: limits get looser, the app stays up.

The limits are attached to endpoints by name, here, rather than by decorators in the views: the
policy reads as one table, and every app object gets a Limiter of its own (Flask-Limiter keeps its
storage on the Limiter, so one shared instance would count every test app in the last one's store).
"""
from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g, jsonify, render_template, request, session
from flask_babel import ngettext
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from . import paths

log = logging.getLogger("patientapp")
EXTENSION = "patientapp.limiter"
# Redis is on the request's path: a Redis that hangs must not hang the request (the fallback takes over).
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}


class SharedMemoryRefused(RuntimeError):
    """Several worker processes would each keep their own counts."""


def storage_uri(settings) -> str:
    return str(settings.get("REDIS_URL") or "") or "memory://"


def refuse_memory_with_workers(workers: int, settings) -> None:
    """Start-up check (R45): in-memory counts with several workers would multiply every limit."""
    if workers > 1 and settings.get("RATE_LIMITS", True) and storage_uri(settings).startswith("memory://"):
        raise SharedMemoryRefused(
            f"{workers} gunicorn workers would each count rate limits on their own (memory:// storage). "
            "Set PATIENTAPP_REDIS_URL=redis://… to share the counts, or run one worker (WEB_CONCURRENCY=1).")


# -- whom a limit counts ---------------------------------------------------------------------------

def _digest(value: str) -> str:
    """Keys in Redis carry no session reference or credential as such."""
    return hashlib.sha256(value.encode()).hexdigest()[:24]


def by_address() -> str:
    """The client's address: the proxy's X-Forwarded-For once ProxyFix trusts it (PATIENTAPP_PROXY_HOPS)."""
    return "ip:" + get_remote_address()


def by_visit() -> str:
    """The invitation this browser opened; a browser without one is counted by address."""
    ref = session.get(paths.VISIT_KEY)
    return "visit:" + _digest(ref) if isinstance(ref, str) and ref else by_address()


def by_account() -> str:
    """The staff member a WebAuthn step is for: the passkey's owner when signing in, else the one enrolling."""
    from . import staff_access
    from .db import get_session
    from .models import utcnow

    db = get_session()
    if request.endpoint == "staff.login_verify":
        body = request.get_data(as_text=True)
        staff_id = staff_access.account_of_assertion(db, body)
        return f"staff:{staff_id}" if staff_id else "credential:" + staff_access.credential_id_hash(body)
    if g.get("staff") is not None:
        return f"staff:{g.staff.id}"
    enrolment = staff_access.enrolment_by_id(db, session.get(paths.ENROLMENT_KEY), utcnow())
    return f"staff:{enrolment.staff_id}" if enrolment is not None else by_address()


def by_staff() -> str:
    return f"staff:{g.staff.id}"


def by_clinic() -> str:
    return f"clinic:{g.staff.clinic_id}"


# -- the policy ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    setting: str  # the config key holding the limit, e.g. "30/minute;300/hour"
    key: Callable[[], str]
    shared_scope: str | None = None  # endpoints with one scope share their counts


RULES: dict[str, tuple[Rule, ...]] = {
    # An invitation link and a signed device link draw on one budget per address.
    "patient.open_link": (Rule("RATE_LIMIT_LINK", by_address, "link"),),
    "patient.open_device_link": (Rule("RATE_LIMIT_LINK", by_address, "link"),),
    "patient.knock": (Rule("RATE_LIMIT_KNOCK", by_visit),),
    # The waiting page holds a status request for up to 20 s, or asks every 3 s: ~3 or ~20 a minute.
    "patient.visit_status": (Rule("RATE_LIMIT_STATUS", by_visit),),
    "staff.login_options": (Rule("RATE_LIMIT_WEBAUTHN", by_address),),
    "staff.login_verify": (Rule("RATE_LIMIT_WEBAUTHN", by_address),
                           Rule("RATE_LIMIT_WEBAUTHN_ACCOUNT", by_account, "webauthn-account")),
    "staff.register_options": (Rule("RATE_LIMIT_WEBAUTHN", by_address),
                               Rule("RATE_LIMIT_WEBAUTHN_ACCOUNT", by_account, "webauthn-account")),
    "staff.register_verify": (Rule("RATE_LIMIT_WEBAUTHN", by_address),
                              Rule("RATE_LIMIT_WEBAUTHN_ACCOUNT", by_account, "webauthn-account")),
    # Sending costs money and could be used to pester someone.
    "staff.send_sms": (Rule("RATE_LIMIT_SMS", by_staff), Rule("RATE_LIMIT_SMS_CLINIC", by_clinic, "sms-clinic")),
    "staff.enrol_link": (Rule("RATE_LIMIT_ENROL", by_address),),
    # Each call sends up to a mebibyte of random bytes to anyone: a check takes one sample.
    "check.download": (Rule("RATE_LIMIT_DOWNLOAD", by_address),),
    # Six digits are guessable in principle: few guesses per address (device_codes.py).
    "patient.enter_code": (Rule("RATE_LIMIT_CODE", by_address),),
}

JSON_PATHS = (*paths.JSON_APIS, paths.STAFF_WEBAUTHN)


def _setting(name: str) -> Callable[[], str]:
    """Read at request time, so that a test may change a limit on a running app."""
    return lambda: str(current_app.config[name])


def init_app(app: Flask) -> None:
    """Attach the limiter and the policy. IMPORTANT: after the blueprints, whose endpoints it wraps."""
    refuse_memory_with_workers(int(os.environ.get("WEB_CONCURRENCY") or 1), app.config)
    # Degrade to per-process counts rather than fail when Redis is away; never a 500 from the limiter.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    # Limits off (tests, benchmarks): the limiter does nothing at all, rather than resolve every
    # request's limits and then skip them (a tenth of a cached page's time).
    app.config.setdefault("RATELIMIT_ENABLED", bool(app.config["RATE_LIMITS"]))
    uri = storage_uri(app.config)
    limiter = Limiter(
        key_func=by_address,
        storage_uri=uri,
        storage_options={} if uri.startswith("memory://") else dict(REDIS_TIMEOUTS),
        headers_enabled=True,  # X-RateLimit-* and Retry-After
        key_prefix=str(app.config["RATE_LIMIT_PREFIX"]),
        strategy="fixed-window",
    )
    limiter.init_app(app)
    # Flask-Limiter logs each breach with its key (an address, a staff id) at INFO: ours says less.
    logging.getLogger("flask-limiter").setLevel(logging.WARNING)
    app.extensions[EXTENSION] = limiter

    for endpoint, rules in RULES.items():
        view = app.view_functions[endpoint]
        for rule in rules:
            if rule.shared_scope:
                view = limiter.shared_limit(_setting(rule.setting), rule.shared_scope, key_func=rule.key)(view)
            else:
                view = limiter.limit(_setting(rule.setting), key_func=rule.key)(view)
        app.view_functions[endpoint] = view

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded):
        """A calm answer in the visitor's language, with Retry-After; never why or for whom."""
        wait = _retry_after(limiter)
        log.warning("rate limit %s reached on %s", error.limit.limit, request.endpoint)
        minutes = max(1, math.ceil(wait / 60))
        if request.path.startswith(JSON_PATHS):
            response = jsonify(error="rate-limited", message=ngettext(
                "Too many attempts. Wait %(num)d minute, then try again.",
                "Too many attempts. Wait %(num)d minutes, then try again.", minutes))
        else:
            response = render_template("errors/error.html", code=429, retry_minutes=minutes)
        return response, 429, {"Retry-After": str(wait)}


def _retry_after(limiter: Limiter) -> int:
    """Seconds until the breached limit's window ends; a minute if the storage cannot say."""
    try:
        current = limiter.current_limit
        if current is not None:
            return max(1, int(current.reset_at - time.time()))
    except Exception:  # the storage went away between the check and now
        pass
    return 60


def storage_ready(app: Flask) -> bool:
    """For /readyz: the counters' storage answers, or the in-memory fallback will stand in for it."""
    limiter: Limiter | None = app.extensions.get(EXTENSION)
    if limiter is None or not app.config["RATE_LIMITS"]:
        return True
    try:
        if limiter.storage.check():
            return True
    except Exception:
        pass
    fallback = bool(app.config.get("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"))
    log.warning("readiness check: rate-limit storage unreachable%s",
                ", counting in memory meanwhile" if fallback else "")
    return fallback
