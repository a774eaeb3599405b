"""Response headers, the CSP nonce and cache rules: the security baseline for every response (R27, R35–R43)."""
from __future__ import annotations

import secrets

from flask import Flask, g, request

# Paths whose answers are about one patient (or one staff member) and must never be cached (R27).
PRIVATE_PREFIXES = ("/visit", "/i/", "/d/", "/api/", "/staff")

PERMISSIONS_POLICY = "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()"


def content_security_policy(nonce: str, frame_ancestors: str = "'none'", connect_extra: str | None = None) -> str:
    return "; ".join([
        "default-src 'none'",
        f"script-src 'nonce-{nonce}' 'strict-dynamic'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'" + (f" {connect_extra}" if connect_extra else ""),
        "manifest-src 'self'",
        "worker-src 'self'",
        "media-src 'self' blob:",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        f"frame-ancestors {frame_ancestors}",
        "report-to csp",
    ])


def _new_nonce() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)
    g.request_id = secrets.token_hex(8)
    # Flask checks TRUSTED_HOSTS only when the host is read: read it now, so a forged Host
    # header is refused with 400 before any view runs (R9).
    request.host  # noqa: B018


def _headers(response):
    nonce = g.get("csp_nonce") or secrets.token_urlsafe(16)
    headers = response.headers
    # The waiting page may probe the video service's origin before handing over (R59).
    headers["Content-Security-Policy"] = content_security_policy(nonce, connect_extra=g.get("csp_connect_extra"))
    headers["Reporting-Endpoints"] = 'csp="/csp-report"'
    headers["X-Content-Type-Options"] = "nosniff"
    # Not no-referrer: Flask-WTF's HTTPS CSRF check needs a same-origin Referer (R31).
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = g.get("corp", "same-origin")
    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.path.startswith(PRIVATE_PREFIXES):
        headers["Cache-Control"] = "no-store"
    elif request.path.startswith("/static/") and request.args.get("v"):
        # Fingerprinted by content: safe to keep for a year.
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
    elif "Cache-Control" not in headers or response.mimetype == "text/html":
        # Public pages depend on the chosen language: always revalidate.
        headers["Cache-Control"] = "no-cache"
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
    return response


def init_app(app: Flask) -> None:
    app.before_request(_new_nonce)
    app.after_request(_headers)

    @app.context_processor
    def _nonce():
        return {"csp_nonce": g.get("csp_nonce", "")}
