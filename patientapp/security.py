"""Response headers, the CSP nonce and cache rules: the security baseline for every response (R27, R35–R43)."""
from __future__ import annotations

import secrets

from flask import Flask, g, request

from . import paths

# Paths whose answers are about one patient (or one staff member) and must never be cached (R27).
# /offline: the offline page may carry the clinic number for this browser's invitation (patientapp/pwa).
PRIVATE_PREFIXES = paths.PRIVATE

PERMISSIONS_POLICY = "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()"


def content_security_policy(nonce: str, frame_ancestors: str = "'none'", connect_extra: str | None = None,
                            frame_src: str | None = None) -> str:
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
        *([f"frame-src {frame_src}"] if frame_src else []),
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        f"frame-ancestors {frame_ancestors}",
        "report-to csp",
    ])


def _new_nonce() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)
    # Flask checks TRUSTED_HOSTS only when the host is read: read it now, so a forged Host
    # header is refused with 400 before any view runs (R9).
    request.host  # noqa: B018


def _headers(response):
    nonce = g.get("csp_nonce") or secrets.token_urlsafe(16)
    headers = response.headers
    # The waiting page may probe the video service's origin before handing over (R59).
    # /embed/ pages may be framed by their clinic's registered origins only (R36, set in embed/views.py);
    # the workspace's preview of them needs frame-src 'self'.
    embed_ancestors = g.get("embed_frame_ancestors")
    headers["Content-Security-Policy"] = content_security_policy(
        nonce, frame_ancestors=embed_ancestors or "'none'", connect_extra=g.get("csp_connect_extra"),
        frame_src=g.get("csp_frame_src"))
    headers["Reporting-Endpoints"] = 'csp="/csp-report"'
    headers["X-Content-Type-Options"] = "nosniff"
    # Not no-referrer: Flask-WTF's HTTPS CSRF check needs a same-origin Referer (R31).
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    if not embed_ancestors:
        # Never on embeddable pages: XFO cannot list origins, and a DENY would block the clinic's frame.
        headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = g.get("corp", "same-origin")
    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.path.startswith(PRIVATE_PREFIXES):
        headers["Cache-Control"] = "no-store"
    # Static files set their own: a year under a fingerprinted name, no-cache otherwise (assets.py).
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
