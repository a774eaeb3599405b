"""Generic error pages in the visitor's language, with the same headers as any page (R43)."""
from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from . import paths
from .logs import redact

log = logging.getLogger("patientapp")


def _render(code: int):
    if code == 400 and request.url_rule is None and not _host_trusted():
        # A forged Host header (R9): Flask cannot build URLs for it, so no page with links either.
        return current_app.response_class("Bad Request", mimetype="text/plain"), 400
    try:
        return render_template("errors/error.html", code=code), code
    except Exception:  # the error page itself must never fail: plain text is the last resort
        log.exception("error page failed")
        return "Error", code


render_error = _render  # for other modules' handlers that answer with the same page


def _host_trusted() -> bool:
    try:
        request.host  # noqa: B018
    except SecurityError:
        return False
    return True


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        response, code = _render(error.code)
        if error.code == 405 and error.valid_methods:
            return response, code, {"Allow": ", ".join(error.valid_methods)}
        return response, code

    @app.errorhandler(OperationalError)
    # A connection the server closed (a database restart): the driver may call it an interface error,
    # and a session that met it refuses further work until rolled back. Both pass with the next request.
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PendingRollbackError)
    @app.errorhandler(PoolTimeout)  # every pooled connection busy for too long: the same answer
    def _database_unavailable(error: Exception):
        """The database is busy or away: a calm 503 that tells clients to retry, never a 500."""
        # The driver's own message ("database is locked", "connection refused"): never the statement
        # or its parameters, which SQLAlchemy's wrapper would add (R50).
        orig = getattr(error, "orig", None)
        reason = str(orig).splitlines()[0][:120] if orig is not None and str(orig) else type(error).__name__
        log.warning("database unavailable on %s %s: %s", request.method, redact(request.path), reason)
        if request.path.startswith(paths.JSON_APIS):
            response = jsonify(error="busy")
        else:
            response, _code = _render(503)
        return response, 503, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http_error(error)
        log.error("unhandled %s on %s %s", type(error).__name__, request.method, redact(request.path),
                  exc_info=error)
        return _render(InternalServerError.code)
