"""Two app instances (two gunicorn masters, two workers each) on one PostgreSQL database (R62).

A patient knocks through instance A; staff, signed in with a passkey on instance B, see the knock on
B's dashboard and let the patient in through B; the patient's held status request on A wakes and
gets the hand-off, and the hand-off works. Cookies signed by one instance work on the other, and a
rate limit counted on one applies on the other (the counts are in Redis).
"""
from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from patientapp.demo import enrol_staff
from patientapp.models import Knock, utcnow
from tests.conftest import template_room_clinic
from tests.instances import Browser, Instance, Patient, SoftPasskey, admin_staff, shared_limits, sign_in

# More than one app host needs PostgreSQL (R62).
pytestmark = pytest.mark.postgresql_only

PUBLIC = "http://localhost:8443"  # the address behind which a load balancer would put both instances


@pytest.fixture
def two_instances(database_url, app, tmp_path):
    # One Redis and one key prefix: both instances count together. Six link openings a minute per
    # address, so that counting on both can be shown in a few requests.
    limits = {**shared_limits(), "PATIENTAPP_RATE_LIMIT_LINK": "6/minute"}
    a = Instance(database_url, tmp_path, name="a", public_base_url=PUBLIC, env=limits)
    b = Instance(database_url, tmp_path, name="b", public_base_url=PUBLIC, env=limits)
    try:
        a.launch(), b.launch()  # both boot at once
        a.wait_until_serving(), b.wait_until_serving()
        yield a, b
    finally:
        a.stop()
        b.stop()
    for instance in (a, b):
        log = instance.log()
        assert "Traceback" not in log and "WORKER TIMEOUT" not in log, log[-3000:]


def test_knock_on_a_admit_on_b(two_instances, app, db):
    a, b = two_instances
    template_room_clinic(db, f"http://localhost:{b.port}", key="room-1", label="Rom 1")
    with app.app_context():
        link = enrol_staff("test", "kari@example.no", "Kari", "admin", "en")

    # Staff create a passkey through A, then sign in with it through B: the ceremony's challenge and
    # the session live in the database, so any instance may finish what another began.
    passkey = SoftPasskey(origin=PUBLIC)
    enrolling = Browser(a, language="en")
    assert admin_staff(enrolling, passkey, link).status == 200
    staff = Browser(b, language="en")
    assert sign_in(staff, passkey).status == 200, "passkey sign-in on B"
    assert "__Host-staff" in staff.cookies and staff.page("/staff/").status == 200

    # An invitation made on B; its link opened on A.
    local = (utcnow() + timedelta(minutes=10)).astimezone(ZoneInfo("Europe/Oslo"))
    result = staff.post_form("/staff/invitations/new", {
        "date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M"), "duration": "30",
        "language": "pl", "label": "SO", "room": "room-1", "delivery": "none"})
    assert result.status == 200, result.text[:500]
    token = re.search(r"/i/([A-Za-z0-9_-]{43})", result.text).group(1)

    patient = Patient(a, token, language="pl")
    patient.open_link()
    assert patient.knock().status == 201
    knock_id = patient.knock_id

    # The patient's session cookie, signed by A, works on B (the same secret key), and back.
    on_b = patient.use(b).status()
    assert on_b.status == 200 and on_b.json()["knock"] == knock_id and on_b.json()["state"] == "waiting"
    assert patient.use(b).get("/visit/wait").status == 200
    patient.use(a)

    # B's dashboard shows the knock made through A.
    board = staff.get("/staff/api/dashboard").json()
    rows = [r for r in board["rows"] if r["knock_id"] == knock_id]
    assert board["knocking"] == 1 and rows and rows[0]["state"] == "knocking" and "admit" in rows[0]["actions"]

    # The patient's status request on A (with the version B gave) is held; B admits; A's watcher reads the
    # change and wakes it.
    answers = []
    held = threading.Thread(target=lambda: answers.append((patient.status(), time.monotonic())))
    held.start()
    time.sleep(1.0)
    assert held.is_alive(), "the waiting patient's status request should be held"
    admit = staff.post_json(f"/staff/api/knocks/{knock_id}/admit")
    admitted_at = time.monotonic()
    assert admit.status == 200, admit.text
    held.join(timeout=10)
    (answer, answered_at), = answers
    body = answer.json()
    assert answer.status == 200 and body["state"] == "admitted" and body["held"] is True
    assert answered_at - admitted_at < 2.0, "the admission reached the held request within two seconds"
    assert body["handoff_url"] == "/visit/go" and body["room_url"].startswith(f"http://localhost:{b.port}/dev/video-room")

    # The hand-off on A, to the room, which answers.
    go = patient.get("/visit/go")
    assert go.status == 303 and go.headers["location"] == body["room_url"]
    room = Browser(b).get(go.headers["location"].split(str(b.port), 1)[1])
    assert room.status == 200
    # The same browser may go back through B (a dropped call); another device with the link may not (R12).
    assert patient.use(b).get("/visit/go").headers["location"] == body["room_url"]
    other = Patient(a, token, language="pl")
    other.open_link()
    assert other.use(b).get("/visit/go").headers["location"].endswith("/visit/wait")

    # One knock, admitted by the staff member who signed in on B.
    db.rollback()
    knocks = db.scalars(select(Knock)).all()
    assert [(k.id, k.state, k.handoff_used_at is not None) for k in knocks] == [(knock_id, "admitted", True)]


def test_rate_limits_count_across_instances(two_instances):
    a, b = two_instances
    guess = "/i/" + "x" * 43  # a link that does not work: still counted against the address (R45)
    assert [Browser(a).get(guess).status for _ in range(3)] == [410] * 3
    assert [Browser(b).get(guess).status for _ in range(3)] == [410] * 3
    refused = Browser(b).get(guess)
    assert refused.status == 429 and int(refused.headers["retry-after"]) > 0
    assert Browser(a).get(guess).status == 429
