"""Logs: one JSON object per line, a request id on every record of a request, nothing sensitive (R49–R51).

Call sites log ids and short codes only (never a token, phone number, label, cookie, CSRF token,
WebAuthn payload or room address). `redact` is the safety net for what libraries (werkzeug,
gunicorn, SQLAlchemy) and exception messages may carry: every message, structured field and
traceback goes through it before it is written. The standard library is enough: `logging` for the
plumbing and `json.dumps` for the escaping, so a value holding a newline or a forged
`{"level":"ERROR"}` stays a string inside its own record (R51).
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
import threading
from datetime import UTC, datetime

from werkzeug.wsgi import ClosingIterator

REQUEST_ID_HEADER = "X-Request-ID"
_ENVIRON_KEY = "patientapp.request_id"
_current = contextvars.ContextVar("patientapp_request_id", default=None)

# What we accept from a trusted proxy: nginx's $request_id (32 hex digits), a UUID without hyphens,
# our own ids. Anything else (longer, other characters) is replaced by one of ours.
TRUSTED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{15,31}")


def new_request_id() -> str:
    """96 random bits as four groups of six hex digits ("3f2a9c-1b7e4d-…"): from nothing about the
    visitor, and never eight digits in a row, so it cannot pass for a phone number."""
    raw = secrets.token_hex(12)
    return "-".join(raw[i:i + 6] for i in range(0, len(raw), 6))


def current_request_id() -> str | None:
    """The id of the request this thread is answering, or None outside a request."""
    return _current.get()


def request_id_of(environ) -> str | None:
    """The id the middleware gave this WSGI request (exact even where the context variable may be
    stale: a test client does not close the responses it returns, so its thread keeps the last id)."""
    return environ.get(_ENVIRON_KEY)


class RequestIds:
    """WSGI middleware: gives every request an id, answers it in X-Request-ID and keeps it in a
    context variable while the request and its response run (werkzeug logs its line then too)."""

    def __init__(self, wsgi_app, trust_header: bool = False):
        self.wsgi_app, self.trust_header = wsgi_app, trust_header

    def __call__(self, environ, start_response):
        offered = environ.get("HTTP_X_REQUEST_ID", "") if self.trust_header else ""
        request_id = offered if TRUSTED_REQUEST_ID.fullmatch(offered) else new_request_id()
        environ[_ENVIRON_KEY] = request_id
        _current.set(request_id)

        def start_with_id(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            answer = self.wsgi_app(environ, start_with_id)
        except BaseException:
            _current.set(None)
            raise
        return ClosingIterator(answer, lambda: _current.set(None))


# --- Redaction ---------------------------------------------------------------------------------

_REDACTED = "<redacted>"
# Link tokens, signed links and staff enrolment tokens in paths (R5).
_SECRET_PATHS = re.compile(r"/(i|d|staff/enrol)/[^\s\"'?#<>]+")
# Any absolute URL keeps its origin only: room addresses (Join's hostRoomUrl, Whereby links),
# the links in an SMS, anything with a query string.
_URL = re.compile(r"\b((?:https?|wss?)://[^/\s\"'<>?#]+)([/?#][^\s\"'<>]*)")
_SENSITIVE_KEYS = (r"pin|hostRoomUrl|roomUrl|room_url|token|csrf_token|csrf|x-csrftoken|session|cookie|set-cookie"
                   r"|__Host-[\w-]+|phone|to|label|alias|password|secret|authorization"
                   r"|clientDataJSON|attestationObject|authenticatorData|signature|userHandle|rawId|credential")
# key=value, key: value, "key": "value" for those keys.
_KEY_VALUES = re.compile(rf"(?i)(?<![\w-])({_SENSITIVE_KEYS})(\"?\s*[=:]\s*\"?)([^\s&;,\"]+)")
# Signed values: Flask sessions, CSRF tokens, itsdangerous and JWT-like strings (three dotted parts).
_SIGNED = re.compile(r"(?<![\w-])[\w-]{8,}\.[\w-]{4,}\.[\w-]{16,}")
# Token-looking strings: a 43-character URL-safe token, and any longer base64 blob (WebAuthn payloads).
_BLOB = re.compile(r"(?<![\w-])[A-Za-z0-9_-]{40,}={0,2}(?![\w-])")
# Phone numbers: +47/0047 and eight digits, with or without spaces ("+47 912 34 567", "91 23 45 67"),
# and any longer run of digits.
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)47[ \u00a0]?)?\d(?:[ \u00a0]?\d){7,}(?!\w)")


def redact(text: str) -> str:
    """`text` without tokens, signed values, URLs' paths and queries, secrets in key=value pairs or phone numbers."""
    text = _SECRET_PATHS.sub(lambda m: f"/{m.group(1)}/{_REDACTED}", text)
    text = _URL.sub(lambda m: m.group(1) + ("" if m.group(2) == "/" else "/" + _REDACTED), text)
    text = _KEY_VALUES.sub(lambda m: m.group(1) + m.group(2) + _REDACTED, text)
    text = _SIGNED.sub(_REDACTED, text)
    text = _BLOB.sub(_REDACTED, text)
    return _PHONE.sub("<phone>", text)


def _clean(value, depth: int = 0):
    """A structured field for JSON: strings redacted, containers walked, anything else as text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return redact(value)
    if depth < 4 and isinstance(value, dict):
        return {str(k): _clean(v, depth + 1) for k, v in value.items()}
    if depth < 4 and isinstance(value, (list, tuple, set)):
        return [_clean(v, depth + 1) for v in value]
    return redact(str(value))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with secrets replaced (for handlers other than ours)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = _message(record)
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_TERMINAL_COLOURS = re.compile(r"\x1b\[[\d;]*m")  # werkzeug colours its banner and request lines for terminals


class WerkzeugRequestFilter(logging.Filter):
    """The development server's request line as fields: method, path without its query, status, bytes;
    never the visitor's address, the query string or the protocol."""

    _REQUEST_LINE = re.compile(r"(?P<method>[A-Z]+) (?P<path>[^ ?]*)(?:\?\S*)? HTTP/[\d.]+")
    _ADDRESS_AND_DATE = re.compile(r"\S+ - - \[[^\]]*\] ")

    def filter(self, record: logging.LogRecord) -> bool:
        # werkzeug logs '<address> - - [<date>] "%s" %s %s' with (request line, status, size), and
        # its errors with the same prefix: never the address, and our own time field is enough.
        if isinstance(record.msg, str) and self._ADDRESS_AND_DATE.match(record.msg):
            record.msg = self._ADDRESS_AND_DATE.sub("", record.msg, count=1)
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) == 3 and isinstance(args[0], str) and record.msg == '"%s" %s %s':
            line = self._REQUEST_LINE.fullmatch(_TERMINAL_COLOURS.sub("", args[0]))
            method, path = (line["method"], redact(line["path"])) if line else ("-", "-")
            status, size = _int(args[1]), _int(args[2])
            record.msg, record.args = "%s %s %s", (method, path, status if status is not None else "-")
            record.http = {"method": method, "path": path, "status": status, "bytes": size}
        return True


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # mismatched arguments: keep the template rather than lose the record
        return str(record.msg)


# The attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One line of JSON per record: time (UTC, ISO 8601), level, logger, message, request_id inside a
    request, then the record's structured fields (`extra=`), and the traceback if any, all redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(_TERMINAL_COLOURS.sub("", _message(record))),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = str(request_id)
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = _clean(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        # ensure_ascii: control, bidi and other non-ASCII characters as \u escapes, so no value can
        # break a line or turn a terminal's text around.
        return json.dumps(entry, ensure_ascii=True, default=str)


# --- Setting up --------------------------------------------------------------------------------

_LIBRARY_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "sqlalchemy", "patientapp")


def install(level: str = "INFO") -> None:
    """Our loggers' level and filters; a JSON handler on stderr unless logging is set up already
    (gunicorn's logger class routes everything to its error log, as JSON, before the app loads)."""
    redactor = RedactingFilter()
    for name in _LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(redactor)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, WerkzeugRequestFilter) for f in werkzeug.filters):
        # Before the redactor, which would otherwise flatten the arguments this one reads.
        werkzeug.filters.insert(0, WerkzeugRequestFilter())
    logging.getLogger("patientapp").setLevel(level)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    # Python's warnings and uncaught exceptions in threads are written to stderr as plain text
    # otherwise: through logging they become JSON records too.
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_exception


def _log_thread_exception(args) -> None:
    if args.exc_type is SystemExit:
        return
    logging.getLogger("patientapp").critical(
        "uncaught %s in thread %s", args.exc_type.__name__, getattr(args.thread, "name", "?"),
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


def init_app(app) -> None:
    """JSON logs for the app, and a request id on every request (from a trusted proxy if behind one)."""
    install(app.config["LOG_LEVEL"])
    from flask.logging import default_handler

    # Flask's own plain-text handler would write the app's records a second time.
    app.logger.removeHandler(default_handler)
    behind_proxy = int(app.config.get("PROXY_HOPS") or 0) > 0
    app.wsgi_app = RequestIds(app.wsgi_app, trust_header=behind_proxy)
