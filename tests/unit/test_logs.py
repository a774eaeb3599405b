import logging

from patientapp.logs import RedactingFilter, redact


def test_tokens_and_signed_links_are_redacted():
    line = 'GET /i/AbC_-123xyz?x=1 HTTP/1.1 Referer: https://h/d/q.ref.ts.sig "/i/tok"'
    cleaned = redact(line)
    assert "AbC_-123xyz" not in cleaned and "q.ref.ts.sig" not in cleaned and "tok" not in cleaned
    assert cleaned.count("<redacted>") == 3
    assert redact("/guide/echo /visit") == "/guide/echo /visit"


def test_filter_rewrites_formatted_records():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '"GET /i/%s HTTP/1.1" %s', ("secret123", 303), None)
    assert RedactingFilter().filter(record)
    assert "secret123" not in record.getMessage() and "303" in record.getMessage()


def test_gunicorn_access_log_has_no_request_line_and_redacts_the_path():
    import importlib.util
    from pathlib import Path
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("gconf", Path(__file__).resolve().parents[2] / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert "%(r)s" not in conf.access_log_format and "%(f)s" not in conf.access_log_format
    assert conf.accesslog is None or conf.accesslog
    logger = conf.RedactingLogger(SimpleNamespace(errorlog="-", loglevel="info", accesslog=None, syslog=False,
                                                  logconfig=None, logconfig_dict={}, logconfig_json=None,
                                                  capture_output=False, disable_redirect_access_to_syslog=False,
                                                  user=0, group=0, access_log_format=conf.access_log_format,
                                                  syslog_addr=None, syslog_prefix=None, syslog_facility="user"))
    request = SimpleNamespace(headers=[], method="GET", path="/i/SECRET", query="", uri="/i/SECRET",
                              version=(1, 1), remote_addr="127.0.0.1")
    response = SimpleNamespace(status="303 See Other", response_length=0, sent=0, headers=[])
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/i/SECRET", "PATH_INFO": "/i/SECRET", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_REFERER": "http://x/i/SECRET"}
    from datetime import timedelta

    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    line = conf.access_log_format % atoms
    assert "SECRET" not in line and "/i/<redacted>" in line
    assert all("SECRET" not in str(atoms[k]) for k in ("U", "r", "f"))
