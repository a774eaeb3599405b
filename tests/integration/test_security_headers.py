"""The security baseline on every kind of response (R27, R33–R43)."""
import re
from pathlib import Path

import pytest

from tests.pages import csp

TEMPLATES = Path(__file__).resolve().parents[2] / "patientapp/templates"


@pytest.mark.parametrize("path", ["/", "/guide", "/guide/echo", "/visit", "/i/nope", "/nope", "/static/css/app.css"])
def test_headers_on_every_response(client, path):
    response = client.get(path, base_url="https://localhost", buffered=True)
    policy = csp(response)
    script_src = policy["script-src"]
    assert not {"'unsafe-inline'", "'unsafe-eval'", "data:", "https:", "*"} & set(script_src)
    assert any(v.startswith("'nonce-") for v in script_src) and "'strict-dynamic'" in script_src
    assert policy["default-src"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["style-src"] == ["'self'"]
    headers = response.headers
    assert int(headers["Strict-Transport-Security"].split("max-age=")[1].split(";")[0]) >= 31536000
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Permissions-Policy"] == "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Access-Control-Allow-Origin" not in headers


def test_nonces_differ_per_request(client):
    first, second = (csp(client.get("/"))["script-src"][0] for _ in range(2))
    assert first != second


@pytest.mark.parametrize("path", ["/visit", "/visit/calendar.ics", "/visit/qr.svg", "/i/x", "/d/x"])
def test_patient_paths_are_never_cached(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_fingerprinted_static_files_are_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', html).group(1)
    response = client.get(css, buffered=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_no_cors_for_foreign_origins(client):
    for method in ("get", "options"):
        response = getattr(client, method)("/guide", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in response.headers


def test_server_errors_are_generic_with_headers(app, caplog):
    client = app.test_client()
    response = client.get("/__test/boom", headers={"Accept-Language": "nb"})
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in body and ".py" not in body and "ZeroDivision" not in body
    assert "Content-Security-Policy" in response.headers and response.headers["X-Content-Type-Options"] == "nosniff"
    assert any("ZeroDivisionError" in r.getMessage() for r in caplog.records)


def test_wrong_method_and_large_bodies(client):
    response = client.post("/guide")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert client.post("/csp-report", data=b"x" * (1024 * 1024), content_type="application/json").status_code == 413


@pytest.mark.parametrize("body", [b"", b"null", b"[]", b"{}", b'{"csp-report": 5}', b"\xff\xfe", b'[{"body": "x"}]',
                                  b'{"body": {"effectiveDirective": "script-src"}}'])
def test_csp_reports_never_fail(client, body):
    assert client.post("/csp-report", data=body, content_type="application/reports+json").status_code == 204


def test_templates_have_no_inline_styles_handlers_or_unsafe_filters():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path
        assert "|safe" not in text.replace(" ", ""), path
        assert "<script" not in text or "nonce=" in text, path


def test_health_endpoints_say_nothing_more(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_reports_an_unreachable_database(app):
    from patientapp.db import Database

    real = app.extensions["patientapp.db"]
    app.extensions["patientapp.db"] = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503 and response.get_json() == {"status": "unavailable"}
    finally:
        app.extensions["patientapp.db"].dispose()
        app.extensions["patientapp.db"] = real


@pytest.mark.parametrize("error", [
    "operational", "interface", "pending-rollback", "pool-timeout"])
def test_a_broken_connection_gives_a_calm_503_not_a_500(app, monkeypatch, error):
    """What a database restart raises, in each of its forms, is a 503 to retry (R63), never a 500."""
    from sqlalchemy import exc

    raised = {
        "operational": exc.OperationalError("SELECT 1", {}, Exception("server closed the connection")),
        "interface": exc.InterfaceError("SELECT 1", {}, Exception("the connection is closed")),
        "pending-rollback": exc.PendingRollbackError("Can't reconnect until invalid transaction is rolled back"),
        "pool-timeout": exc.TimeoutError("QueuePool limit reached"),
    }[error]

    def broken():
        raise raised

    monkeypatch.setitem(app.view_functions, "public.healthz", broken)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "Traceback" not in response.get_data(as_text=True)


def test_an_unavailable_database_gives_a_calm_503(app, invitation_factory):
    from patientapp.db import Database

    _, token = invitation_factory.create()
    patient = app.test_client()
    patient.get(f"/i/{token}")
    real = app.extensions["patientapp.db"]
    app.extensions["patientapp.db"] = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        api = patient.get("/api/visit/status")
        assert api.status_code == 503 and api.headers["Retry-After"] == "5" and api.get_json() == {"error": "busy"}
        page = patient.get("/visit", headers={"Accept-Language": "en"})
        assert page.status_code == 503 and "Det er stor pågang" in page.get_data(as_text=True)  # the invitation is nb
        assert "Traceback" not in page.get_data(as_text=True) and "Content-Security-Policy" in page.headers
    finally:
        app.extensions["patientapp.db"].dispose()
        app.extensions["patientapp.db"] = real
