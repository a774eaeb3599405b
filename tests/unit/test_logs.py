"""JSON logs, request ids and redaction (R49–R51), without the app."""
import contextvars
import io
import json
import logging
import re
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from patientapp import logs
from patientapp.logs import JsonFormatter, RedactingFilter, RequestIds, redact

TOKEN = "Qm9vTXlUb2tlbl9fX19fX19fX19fX19fX19fX19fX1w"  # 43 URL-safe characters, like a link token
ROOT = Path(__file__).resolve().parents[2]


def test_tokens_and_signed_links_are_redacted():
    line = 'GET /i/AbC_-123xyz?x=1 HTTP/1.1 Referer: https://h/d/q.ref.ts.sig "/i/tok" /staff/enrol/EnrolTok'
    cleaned = redact(line)
    for secret in ("AbC_-123xyz", "q.ref.ts.sig", "tok\"", "EnrolTok"):
        assert secret not in cleaned
    assert "/i/<redacted>" in cleaned and "/staff/enrol/<redacted>" in cleaned
    assert (redact("/guide/echo /visit /visit/wait /api/visit/status")
            == "/guide/echo /visit /visit/wait /api/visit/status")


@pytest.mark.parametrize("secret", [
    TOKEN,
    "+4791234567", "4791234567", "91234567", "+47 912 34 567", "912 34 567", "91 23 45 67", "0047 91234567",
])
def test_token_looking_strings_and_phone_numbers_anywhere(secret):
    cleaned = redact(f"sent {secret} now")
    assert re.sub(r"\D", "", secret)[-8:] not in re.sub(r"\D", "", cleaned)
    assert secret not in cleaned and cleaned.startswith("sent ") and cleaned.endswith(" now")


def test_cookies_csrf_webauthn_and_rooms():
    from itsdangerous import URLSafeTimedSerializer

    csrf = URLSafeTimedSerializer("k", salt="wtf-csrf-token").dumps("3f" * 20)
    webauthn = json.dumps({"id": "AbCd" * 8, "rawId": "AbCd" * 8, "response": {
        "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiWFlaIn0",
        "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
        "signature": "MEUCIQDx" + "q" * 60, "userHandle": "dXNlcg"}})
    text = (f"Cookie: __Host-session=abc.def; __Host-staff=StaffSecret1 csrf_token={csrf} {csrf} "
            f"X-CSRFToken: {csrf} body={webauthn} "
            "room https://join.nhn.no/webapp/conference/123456?name=Pasient&pin=4321&role=guest "
            "hostRoomUrl=https://clinic.whereby.com/room-abc?roomKey=s3cret pin=9876 "
            "label=Ola alias: Kari")
    cleaned = redact(text)
    for secret in ("abc.def", "StaffSecret1", csrf, "clientDataJSON\": \"eyJ", "SZYN5Yg", "MEUCIQDx",
                   "conference/123456", "4321", "room-abc", "s3cret", "9876", "Ola", "Kari"):
        assert secret not in cleaned, secret
    assert "https://join.nhn.no/<redacted>" in cleaned and "pin=" not in cleaned.replace("pin=<redacted>", "")


def test_safe_text_is_left_alone():
    for text in ("Booting worker with pid: 12345", "Listening at: http://127.0.0.1:5000 (4242)",
                 "audit invitation-create ok", "database unavailable on GET /visit: database is locked",
                 "csp violation: script-src-elem", "request 3f2a9c-1b7e4d-0a1122-334455"):
        assert redact(text) == text


def test_filter_rewrites_formatted_records():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '"GET /i/%s HTTP/1.1" %s',
                               ("secret123", 303), None)
    assert RedactingFilter().filter(record)
    assert "secret123" not in record.getMessage() and "303" in record.getMessage()


def _format(logger_name, message, *args, **kwargs):
    # A fresh context: outside any request. (The test client does not close the responses it returns,
    # so a request id set by an earlier test's request may still be in this thread's context; gunicorn
    # and werkzeug's server always close them.)
    return contextvars.Context().run(_format_now, logger_name, message, *args, **kwargs)


def _format_now(logger_name, message, *args, **kwargs):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        logger.warning(message, *args, **kwargs)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_an_injected_record_stays_inside_one_escaped_value():
    """R51: a value with a newline and a forged record is one record, its value escaped."""
    forged = 'KN\n{"level":"ERROR","message":"forged"}\u202e'
    out = _format("patientapp.test", "value %s", forged, extra={"note": forged})
    lines = out.splitlines()
    assert len(lines) == 1 and out.endswith("\n")
    entry = json.loads(lines[0])
    assert entry["level"] == "WARNING" and entry["logger"] == "patientapp.test"
    assert entry["message"] == f"value {forged}" and entry["note"] == forged
    assert "\\n" in lines[0] and "\\u202e" in lines[0] and lines[0].isascii()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])
    assert "request_id" not in entry  # outside a request


def test_fields_and_tracebacks_are_redacted_too():
    try:
        raise ValueError(f"bad row /i/{TOKEN} for +47 912 34 567")
    except ValueError:
        out = _format("sqlalchemy.engine", "failed", exc_info=True, extra={"detail": {"to": "91234567"}})
    assert TOKEN not in out and "912 34 567" not in out and "91234567" not in out
    entry = json.loads(out)
    assert "ValueError" in entry["exception"] and "Traceback" in entry["exception"]


def _inner_app(seen):
    def app(environ, start_response):
        seen.append(logs.current_request_id())
        logging.getLogger("patientapp.test").warning("inside")
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Request-ID", "from-the-app-itself")])
        return [b"ok"]
    return app


def _call(wsgi, headers=None):
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", **(headers or {})}
    started = {}
    body = wsgi(environ, lambda status, headers, exc_info=None: started.update(headers=headers))
    during = logs.current_request_id()
    b"".join(body)
    body.close()
    return dict(started["headers"]), during


def test_every_request_gets_a_random_id_in_its_header_and_its_records():
    seen = []
    wsgi = RequestIds(_inner_app(seen))
    first, during = _call(wsgi)
    second, _ = _call(wsgi)
    assert first["X-Request-ID"] == seen[0] == during != second["X-Request-ID"] == seen[1]
    assert re.fullmatch(r"[0-9a-f]{6}(-[0-9a-f]{6}){3}", seen[0]) and logs.TRUSTED_REQUEST_ID.fullmatch(seen[0])
    assert logs.current_request_id() is None  # forgotten once the response is closed
    # Never eight digits in a row, whatever the randomness: nothing like a phone number.
    assert not any(re.search(r"\d{8}", logs.new_request_id()) for _ in range(2000))


@pytest.mark.parametrize("offered, kept", [
    ("0123456789abcdef0123456789abcdef", True),  # nginx $request_id
    ("3f2a9c-1b7e4d-0a1122-334455", True),
    ("short", False),
    ("a" * 33, False),
    ("abc/def/ghi/jkl/mno", False),
    ('x" {"level":"ERROR"}\nabcdef', False),
    (TOKEN, False),
])
def test_a_proxys_id_only_when_trusted_and_strict(offered, kept):
    seen = []
    trusted, _ = _call(RequestIds(_inner_app(seen), trust_header=True), {"HTTP_X_REQUEST_ID": offered})
    untrusted, _ = _call(RequestIds(_inner_app(seen), trust_header=False), {"HTTP_X_REQUEST_ID": offered})
    assert (trusted["X-Request-ID"] == offered) is kept
    assert untrusted["X-Request-ID"] != offered


def _gunicorn_conf():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gconf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def test_gunicorn_access_log_is_json_without_the_request_line(tmp_path):
    conf = _gunicorn_conf()
    assert "%(r)s" not in conf.access_log_format and "%(f)s" not in conf.access_log_format
    assert conf.accesslog is None or conf.accesslog
    access, error = tmp_path / "access.log", tmp_path / "error.log"
    cfg = SimpleNamespace(errorlog=str(error), loglevel="info", accesslog=str(access), syslog=False,
                          logconfig=None, logconfig_dict={}, logconfig_json=None, capture_output=False,
                          disable_redirect_access_to_syslog=False, user=0, group=0,
                          access_log_format=conf.access_log_format, syslog_addr=None, syslog_prefix=None,
                          syslog_facility="user")
    root_handlers = list(logging.getLogger().handlers)
    logger = conf.JsonLogger(cfg)
    try:
        request = SimpleNamespace(headers=[("REFERER", f"http://x/i/{TOKEN}")], method="GET", path=f"/i/{TOKEN}",
                                  query="pin=1234", uri=f"/i/{TOKEN}?pin=1234", version=(1, 1), remote_addr="10.1.2.3")
        response = SimpleNamespace(status="303 See Other", response_length=0, sent=0,
                                   headers=[("Location", "/visit"), ("X-Request-ID", "3f2a9c-1b7e4d-0a1122-334455")])
        environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/i/{TOKEN}?pin=1234", "PATH_INFO": f"/i/{TOKEN}",
                   "QUERY_STRING": "pin=1234", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.1.2.3",
                   "HTTP_REFERER": f"http://x/i/{TOKEN}", "HTTP_USER_AGENT": "Pixel"}
        logger.access(response, request, environ, timedelta(milliseconds=3.25))
        logger.error("Error handling request /i/%s", TOKEN)
        # The app's records (any logger) reach gunicorn's error log, as JSON.
        logging.getLogger("patientapp.somewhere").warning("from the app")
    finally:
        for log in (logger.error_log, logger.access_log, logging.getLogger()):
            for handler in [h for h in log.handlers if getattr(h, "_gunicorn", False)]:
                log.removeHandler(handler)
                handler.close()
        assert logging.getLogger().handlers == root_handlers
    line = access.read_text()
    assert TOKEN not in line and "1234" not in line and "10.1.2.3" not in line and "Pixel" not in line
    entry = json.loads(line)
    assert entry["http"] == {"method": "GET", "path": "/i/<redacted>", "status": 303, "bytes": 0, "duration_ms": 3.2}
    assert entry["request_id"] == "3f2a9c-1b7e4d-0a1122-334455" and entry["logger"] == "gunicorn.access"
    errors = [json.loads(x) for x in error.read_text().splitlines()]
    assert [e["message"] for e in errors] == ["Error handling request /i/<redacted>", "from the app"]


def test_werkzeug_request_lines_become_fields():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                               '127.0.0.1 - - [01/Jan/2030 10:00:00] "%s" %s %s',
                               (f"\x1b[32mGET /i/{TOKEN}?pin=1 HTTP/1.1\x1b[0m", "303", "-"), None)
    assert logs.WerkzeugRequestFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "GET /i/<redacted> 303"
    banner = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "\x1b[33mPress CTRL+C to quit\x1b[0m", (), None)
    assert json.loads(JsonFormatter().format(banner))["message"] == "Press CTRL+C to quit"
    assert entry["http"] == {"method": "GET", "path": "/i/<redacted>", "status": 303, "bytes": None}
    assert "127.0.0.1" not in json.dumps(entry)
    error = logging.LogRecord("werkzeug", logging.ERROR, __file__, 1,
                              "10.1.2.3 - - [01/Jan/2030 10:00:00] code %d, message %s",
                              (400, "Bad request syntax"), None)
    assert logs.WerkzeugRequestFilter().filter(error) and error.getMessage() == "code 400, message Bad request syntax"


def test_thread_crashes_are_json(capsys):
    import threading

    saved = threading.excepthook, list(logging.getLogger().handlers)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    try:
        logs.install("INFO")
        thread = threading.Thread(target=lambda: 1 / 0, name="crash")
        thread.start()
        thread.join()
    finally:
        threading.excepthook = saved[0]
        logging.getLogger().removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["level"] == "CRITICAL" and "ZeroDivisionError" in entry["exception"]
    assert "Traceback" not in capsys.readouterr().err
    assert sys.excepthook  # untouched
