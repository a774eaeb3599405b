"""The app's logs through Flask's client: a request id on every response, record and audit row; staff
actions with a label, a phone number and a token leave none of them in any record (R49–R51)."""
import io
import json
import logging
import re

import pytest
from sqlalchemy import select

from patientapp.logs import JsonFormatter
from patientapp.models import AuditEvent
from tests.integration.helpers import create_invitation, fresh, link_token

ID = re.compile(r"[0-9a-f]{6}(-[0-9a-f]{6}){3}")


@pytest.fixture
def log_lines():
    """Every record the app writes during the test, as our JSON handler writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root, engine = logging.getLogger(), logging.getLogger("sqlalchemy.engine")
    root.addHandler(handler)
    # SQLAlchemy's statement log too (as with echo=True): its parameters must stay hidden.
    saved = engine.level
    engine.setLevel(logging.INFO)
    yield lambda: stream.getvalue().splitlines()
    engine.setLevel(saved)
    root.removeHandler(handler)


def test_every_answer_has_its_own_request_id(client):
    ids = [client.get(path).headers["X-Request-ID"] for path in ("/", "/guide", "/no-such-page", "/static/none.css")]
    assert all(ID.fullmatch(i) for i in ids) and len(set(ids)) == len(ids)
    # Not behind a proxy (PATIENTAPP_PROXY_HOPS=0): an offered id is not taken.
    assert client.get("/", headers={"X-Request-ID": "0123456789abcdef0123456789abcdef"}).headers["X-Request-ID"] != \
        "0123456789abcdef0123456789abcdef"


def test_an_audit_row_from_the_command_line_has_no_request_id(client, app, db, clinic):
    """`flask staff enrol` runs outside any request: its audit row must not borrow the id of the last
    request this thread served (the test client leaves it in the thread's context)."""
    from patientapp.demo import enrol_staff

    client.get("/")
    with app.app_context():
        enrol_staff(clinic.slug, "ola.cli@example.no", "Ola", "staff", "nb")
    fresh(db)
    assert [e.request_id for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "staff-enrol"))] == [None]


def test_records_and_audit_rows_carry_the_request_id_and_nothing_sensitive(sign_in, db, app, log_lines):
    staff = sign_in()
    label = "Zq9"
    created = create_invitation(staff, language="nb", label=label)
    token = link_token(created)
    invitation_id = db.scalar(select(AuditEvent.invitation_id).where(AuditEvent.action == "invitation-create"))
    sent = staff.form(f"/staff/invitations/{invitation_id}/sms", {"phone": "+47 912 34 567", "token": token})
    assert sent.status_code == 200
    # A CSP report (logged) and a database row written inside a request.
    report = staff.client.post("/csp-report", json={"csp-report": {"violated-directive": "script-src-elem"}})
    fresh(db)
    rows = {e.action: e for e in db.scalars(select(AuditEvent))}
    assert rows["invitation-create"].request_id == created.headers["X-Request-ID"]
    assert rows["invitation-sms"].request_id == sent.headers["X-Request-ID"]

    records = [json.loads(line) for line in log_lines()]
    by_id = {}
    for record in records:
        by_id.setdefault(record.get("request_id"), []).append(record)
    assert ([r["audit"]["action"] for r in by_id[created.headers["X-Request-ID"]] if "audit" in r]
            == ["invitation-create"])
    assert [r["audit"]["action"] for r in by_id[sent.headers["X-Request-ID"]] if "audit" in r] == ["invitation-sms"]
    assert "csp violation: script-src-elem" in [r["message"] for r in by_id[report.headers["X-Request-ID"]]]
    text = "\n".join(log_lines())
    assert "INSERT INTO invitations" in text and "parameters hidden" in text
    assert token not in text and label not in text and not re.search(r"\d{8}|912 34 567", text)


def test_an_unexpected_error_is_one_json_record_with_its_request_id(client, log_lines):
    response = client.get("/__test/boom")
    assert response.status_code == 500
    [record] = [json.loads(line) for line in log_lines() if "ZeroDivisionError" in line]
    assert record["level"] == "ERROR" and record["request_id"] == response.headers["X-Request-ID"]
    assert "Traceback" in record["exception"]
