"""R50 end to end: gunicorn with the production config (gunicorn.conf.py, access log on), the whole
journey in Chromium, then every line of stdout, stderr and the access log file is scanned.

Each line must be one JSON record; none may hold the invitation token, the enrolment token, a phone
number pattern, the label, a cookie value, a CSRF token, the passkey's credential id, the room's
address or a pin=. The scanner itself is tested on planted lines, so that a clean scan means something.
Runs once (SQLite, its own database file and port), not per backend.
"""
from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import time
import urllib.request
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.helpers import DESKTOP, add_authenticator, knock

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "log-scan-secret-" + "k" * 32
LABEL = "Quokka Lj"
PHONE_NUMBER = "+47 912 34 567"
PHONE_PATTERNS = re.compile(r"\+?47\d{8}|\d{8}|\d{3} \d{2} \d{3}|\d{2} \d{2} \d{2} \d{2}")
# Never in a log, whatever the value around them.
MARKERS = ("pin=", "hostRoomUrl", "video-room?", "name=Pasient")
ID = re.compile(r"[0-9a-f]{6}(-[0-9a-f]{6}){3}")
# Digests may hold eight digits in a row: a static file's fingerprint ("app.3f2a9c1b7e4d.css",
# assets.py), a passkey's credential hash in the audit detail ("cred=0c4f12345678e9ab"). A run of 12
# or more hex digits with a letter among them is a digest, not a phone number.
DIGEST = re.compile(r"(?<![0-9A-Za-z])(?=[0-9]*[a-f])[0-9a-f]{12,64}(?![0-9A-Za-z])")


def problems(line: str, secrets: dict[str, str]) -> list[str]:
    """What is wrong with one log line: not a JSON record, or a secret, phone pattern or marker in it."""
    try:
        entry = json.loads(line)
    except ValueError:
        return ["not JSON"]
    if not isinstance(entry, dict) or not {"time", "level", "logger", "message"} <= entry.keys():
        return ["not a log record"]
    # The raw line and the decoded one: an escape (\u00f8, \/) must not hide a value from the scan.
    texts = (line, json.dumps(entry, ensure_ascii=False))
    found = [name for name, value in secrets.items() if value and any(value in t for t in texts)]
    found += [f"marker {m}" for m in MARKERS if any(m in t for t in texts)]
    if any(PHONE_PATTERNS.search(DIGEST.sub("#", t)) for t in texts):
        found.append("phone pattern")
    return found


def test_the_scanner_catches_what_it_looks_for():
    token = "Qm9vTXlUb2tlbl9fX19fX19fX19fX19fX19fX19fX1w"
    secrets = {"token": token, "label": LABEL}
    clean = json.dumps({"time": "2030-01-01T10:00:00.000+00:00", "level": "INFO", "logger": "gunicorn.access",
                        "message": "GET /i/<redacted> 303", "request_id": "3f2a9c-1b7e4d-0a1122-334455",
                        "http": {"status": 303, "bytes": 0, "duration_ms": 12.5}})
    assert problems(clean, secrets) == []
    assert problems(clean.replace("<redacted>", token), secrets) == ["token"]
    assert problems(clean.replace("303\"", "303 Quokka Lj\""), secrets) == ["label"]
    assert problems(clean.replace("303\"", "303 Quokka \\u004cj\""), secrets) == ["label"]
    for phone in ("+4791234567", "91234567", "+47 912 34 567", "91 23 45 67"):
        assert problems(clean.replace("303\"", f"303 {phone}\""), secrets) == ["phone pattern"], phone
    assert problems(clean.replace("303\"", "303 /dev/video-room?name=Pasient&pin=1\""), secrets) == [
        "marker pin=", "marker video-room?", "marker name=Pasient"]
    static = clean.replace("/i/<redacted> 303", "/static/js/check/frame-policy.d3c433281766.js 200")
    assert problems(static, secrets) == []
    assert problems(static.replace("d3c433281766.js", "d3c433281766.js?91234567"), secrets) == ["phone pattern"]
    assert problems(clean.replace("303\"", "303 cred=0c4f12345678e9ab\""), secrets) == []
    assert problems(clean.replace("303\"", "303 cred=912345678123\""), secrets) == ["phone pattern"]
    assert problems("[2030-01-01 10:00:00] [INFO] Booting worker", secrets) == ["not JSON"]
    assert problems('{"message": "no time, level or logger"}', secrets) == ["not a log record"]
    assert problems("", secrets) == ["not JSON"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare(database_url: str, base_url: str, room_host: str) -> str:
    """Schema, a clinic with a stand-in room (with a pin), and a staff enrolment link."""
    from patientapp import create_app
    from patientapp.demo import enrol_staff
    from patientapp.models import Clinic

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "PUBLIC_BASE_URL": base_url,
                      "ALLOW_LOCAL_ROOMS": True})
    database = app.extensions["patientapp.db"]
    database.upgrade()
    with database.sessions() as session, session.begin():
        session.add(Clinic(slug="logs", display_name="Nordby helsesenter", phone="+4712345678",
                           time_zone="Europe/Oslo", room_settings={"rooms": [{
                               "key": "stand-in", "label": "Stand-in", "provider": "template",
                               "template": room_host + "/dev/video-room?name={name}&lang={lang}&pin=4321"}]}))
    with app.app_context():
        link = enrol_staff("logs", "kari.logs@example.no", "Kari", "admin", "en")
    database.dispose()
    return link


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn as in production (gunicorn.conf.py), access log to a file, stdout and stderr to files."""
    port = _free_port()
    base_url = f"http://localhost:{port}"
    database_url = f"sqlite:///{tmp_path / 'logs.sqlite3'}"
    enrol_link = _prepare(database_url, base_url, f"http://127.0.0.1:{port}")
    files = {name: tmp_path / f"{name}.log" for name in ("stdout", "stderr", "access")}
    env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": "1", "PATIENTAPP_THREADS": "40",
           "PATIENTAPP_DATABASE_URL": database_url, "PATIENTAPP_SECRET_KEY": SECRET_KEY,
           "PATIENTAPP_PUBLIC_BASE_URL": base_url, "PATIENTAPP_EXTRA_HOSTS": "127.0.0.1",
           "PATIENTAPP_ALLOW_LOCAL_ROOMS": "1", "PATIENTAPP_ACCESS_LOG": str(files["access"]),
           "PATIENTAPP_LOG_LEVEL": "INFO"}
    env.pop("PATIENTAPP_ERROR_LOG", None)  # gunicorn's error log, with the app's records, on stderr
    with open(files["stdout"], "wb") as out, open(files["stderr"], "wb") as err:
        process = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py",
                                    "patientapp:create_app()"],
                                   cwd=ROOT, env=env, stdout=out, stderr=err)
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, files["stderr"].read_text()[-3000:]
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    assert time.monotonic() < deadline, "gunicorn did not answer"
                    time.sleep(0.1)

            def stop():
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()

            yield {"base_url": base_url, "enrol_link": enrol_link, "files": files, "database_url": database_url,
                   "stop": stop}
        finally:
            stop()


def _b64url(standard: str) -> str:
    return base64.urlsafe_b64encode(base64.b64decode(standard)).rstrip(b"=").decode()


def test_no_secret_in_any_log_line_of_the_whole_journey(gunicorn, browser):
    base_url = gunicorn["base_url"]
    secrets: dict[str, str] = {"label": LABEL, "enrolment token": gunicorn["enrol_link"].rsplit("/", 1)[1]}
    answered: dict[str, str] = {}

    def keep_ids(response):
        request_id = response.headers.get("x-request-id")
        if request_id:
            answered[request_id] = f"{response.request.method} {response.url} {response.status}"

    def remember_cookies(context, who):
        for cookie in context.cookies():
            if cookie["name"].startswith("__Host-") and cookie["value"] not in ("nb", "en"):
                secrets[f"{who} cookie {cookie['name']} {len(secrets)}"] = cookie["value"]

    def remember_csrf(page, who):
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        if token:
            secrets[f"{who} CSRF token {len(secrets)}"] = token

    staff_context = browser.new_context(base_url=base_url, viewport=DESKTOP, locale="en", service_workers="block")
    patient_context = browser.new_context(base_url=base_url, viewport=PHONE, is_mobile=True, has_touch=True,
                                          locale="nb-NO", service_workers="block")
    try:
        staff = staff_context.new_page()
        staff.on("response", keep_ids)
        # Enrol a passkey (WebAuthn virtual authenticator), sign out, sign in with it.
        cdp, authenticator = add_authenticator(staff)
        staff.goto(gunicorn["enrol_link"])
        staff.get_by_label("Name for this passkey").fill("Work PC")
        staff.get_by_role("button", name="Create passkey").click()
        staff.wait_for_url("**/staff/")
        staff.get_by_role("button", name="Sign out").click()
        staff.wait_for_url("**/staff/login")
        staff.get_by_role("button", name="Sign in with passkey").click()
        staff.wait_for_url("**/staff/")
        credential = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"][0]
        secrets["credential id"] = _b64url(credential["credentialId"])
        remember_cookies(staff_context, "staff")
        remember_csrf(staff, "staff")

        # An invitation with a label, its SMS to a phone number (the outbox).
        local = (_now() + timedelta(minutes=10)).astimezone(timezone(timedelta(hours=1)))
        staff.goto("/staff/invitations/new")
        staff.get_by_label("Date").fill(local.strftime("%Y-%m-%d"))
        staff.get_by_label("Start time").fill(local.strftime("%H:%M"))
        staff.get_by_label("The patient's language").select_option("nb")
        staff.get_by_label("Label for staff").fill(LABEL)
        staff.get_by_label("No SMS").check()
        staff.get_by_role("button", name="Create invitation").click()
        link = staff.locator("#invitation-link").input_value()
        secrets["invitation token"] = link.rsplit("/", 1)[1]
        assert len(secrets["invitation token"]) == 43
        staff.get_by_label("The patient's mobile number").fill(PHONE_NUMBER)
        staff.get_by_role("button", name="Send SMS").click()
        expect(staff.get_by_text("The SMS was sent to")).to_be_visible()
        remember_csrf(staff, "staff")

        # The patient: the link, the landing page, the check page, the knock with consent.
        patient = patient_context.new_page()
        patient.on("response", keep_ids)
        patient.goto(link)
        patient.goto("/visit/check")
        knock(patient, link)
        remember_cookies(patient_context, "patient")
        remember_csrf(patient, "patient")

        # Let in, and the hand-off to the stand-in room.
        staff.goto("/staff/")
        row = staff.locator("li.pa-appt--knocking")
        expect(row).to_be_visible(timeout=10_000)
        row.get_by_role("button", name="Let in").click()
        patient.wait_for_url(re.compile(r"/dev/video-room\?name=Pasient&lang=nb&pin=4321"), timeout=15_000)
        remember_cookies(patient_context, "patient")
        remember_cookies(staff_context, "staff")
    finally:
        staff_context.close()
        patient_context.close()
    # Stop gunicorn first: every line, the shutdown's too, is written before the scan.
    gunicorn["stop"]()
    audit_ids = _audit_request_ids(gunicorn["database_url"])

    lines = {name: path.read_text(encoding="utf-8", errors="replace").splitlines()
             for name, path in gunicorn["files"].items()}
    found = [f"{name}:{number}: {problem}: {line[:200]}"
             for name, file_lines in lines.items() for number, line in enumerate(file_lines, 1)
             for problem in problems(line, secrets)]
    assert found == []

    access = [json.loads(line) for line in lines["access"]]
    records = [json.loads(line) for line in lines["stderr"]]
    # The scan saw the journey: the link, the hand-off and the staff actions were all logged.
    paths = {(a["http"]["method"], a["http"]["path"], a["http"]["status"]) for a in access}
    assert {("GET", "/i/<redacted>", 303), ("GET", "/staff/enrol/<redacted>", 303),
            ("POST", "/staff/webauthn/login/verify", 200), ("GET", "/visit/go", 303),
            ("GET", "/dev/video-room", 200)} <= paths, paths
    assert all(ID.fullmatch(a["request_id"]) for a in access)
    # Every answer the browsers got has its access line, under the id its X-Request-ID header gave.
    logged = {a["request_id"] for a in access}
    assert len(answered) > 20 and [a for i, a in answered.items() if i not in logged] == []
    actions = {r["audit"]["action"]: r["request_id"] for r in records if "audit" in r}
    assert {"passkey-add", "login", "invitation-create", "invitation-sms", "knock-admit"} <= actions.keys(), actions
    # Audit rows, their log records and the access log share the request's id (R49).
    assert set(actions.values()) <= audit_ids.keys()
    unlogged = {i: action for i, action in audit_ids.items() if i not in logged}
    assert unlogged == {}, (unlogged, sorted(answered.values()))


def _now():
    from patientapp.models import utcnow

    return utcnow()


def _audit_request_ids(database_url: str) -> dict[str, str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {row[0]: row[1] for row in conn.execute(text("SELECT request_id, action FROM audit_events"))
                    if row[0]}
    finally:
        engine.dispose()
