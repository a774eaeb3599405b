"""Pages that read less while no news comes (issue 15): the patient's landing page from what this
process read of the link a moment ago (link_memory.py), and a staff dashboard that answers
"unchanged" while nothing happened in its clinic (staff/dashboard.unchanged_since). Both on both
databases, across two app instances, and never at the cost of showing something that changed."""
import threading
import time

from sqlalchemy import event, select, text

from patientapp import create_app, knocks
from patientapp.models import Invitation
from tests.conftest import TEST_CONFIG
from tests.instances import REDIS_URL
from tests.integration.helpers import StaffClient, create_invitation, knocking_patient, link_token


def _statements(app):
    """The statements this app sends to its database, from the calling thread."""
    sent = []
    engine = app.extensions["patientapp.db"].engine
    me = threading.get_ident()
    listener = lambda *args: sent.append(args[2]) if threading.get_ident() == me else None  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    return sent, lambda: event.remove(engine, "before_cursor_execute", listener)


def _until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


# --- the landing page -----------------------------------------------------------------------------

def test_the_landing_page_again_reads_nothing_until_news_of_its_invitation(app, sign_in, db):
    staff = sign_in()
    token = link_token(create_invitation(staff))
    patient = app.test_client()
    patient.get(f"/i/{token}")
    assert patient.get("/visit").status_code == 200
    # On PostgreSQL this process listens for news from the first read on; what it read before it
    # listened is not kept.
    news = app.extensions["patientapp.news"]
    assert not news.listens or news.ready.wait(10)
    assert patient.get("/visit").status_code == 200
    sent, stop = _statements(app)
    try:
        again = patient.get("/visit?lang=nb")
    finally:
        stop()
    assert again.status_code == 200 and sent == []
    assert 'lang="nb"' in again.get_data(as_text=True)[:200]
    # The clinic cancels: that is news, and the very next page says the link no longer works.
    invitation_id = db.scalar(select(Invitation.id))
    assert staff.form(f"/staff/invitations/{invitation_id}/revoke", {}).status_code == 303
    assert patient.get("/visit").status_code == 410


def test_what_no_news_carries_shows_after_a_short_while(app, sign_in, db, monkeypatch):
    """A clinic renamed by hand (not news) shows once what was read is older than MAX_AGE_SECONDS."""
    staff = sign_in()
    token = link_token(create_invitation(staff))
    patient = app.test_client()
    patient.get(f"/i/{token}")
    news = app.extensions["patientapp.news"]
    assert patient.get("/visit").status_code == 200  # on PostgreSQL: from now on this process listens
    assert not news.listens or news.ready.wait(10)
    monkeypatch.setattr(app.extensions["patientapp.links"], "max_age", 0.5)
    assert patient.get("/visit").status_code == 200
    db.execute(text("UPDATE clinics SET display_name = 'Sørby legekontor'"))
    db.commit()
    assert "Sørby legekontor" not in patient.get("/visit").get_data(as_text=True)  # what was read
    time.sleep(0.6)
    assert "Sørby legekontor" in patient.get("/visit").get_data(as_text=True)


def _two_instances(database_url, backend):
    settings = {**TEST_CONFIG, "DATABASE_URL": database_url, "STATUS_SAFETY_POLL_SECONDS": 3600,
                "REDIS_URL": REDIS_URL if backend == "sqlite" else ""}
    return create_app(settings), create_app(settings)


def _stop(*apps):
    for app_ in apps:
        app_.extensions["patientapp.news"].stop()
        app_.extensions["patientapp.db"].dispose()


def test_a_cancellation_through_another_instance_reaches_the_landing_page(database_url, backend, sign_in, db):
    here, there = _two_instances(database_url, backend)
    try:
        person = sign_in()
        elsewhere = StaffClient(there, person.staff_id, person.client.get_cookie("__Host-staff").value)
        token = link_token(create_invitation(elsewhere))
        patient = here.test_client()
        patient.get(f"/i/{token}")
        assert patient.get("/visit").status_code == 200  # read, and kept; this process now listens
        assert here.extensions["patientapp.news"].ready.wait(10), "the news listener did not start"
        assert patient.get("/visit").status_code == 200
        invitation_id = db.scalar(select(Invitation.id))
        assert elsewhere.form(f"/staff/invitations/{invitation_id}/revoke", {}).status_code == 303
        assert _until(lambda: patient.get("/visit").status_code == 410), "the landing page still showed the link"
    finally:
        _stop(here, there)


# --- the dashboard ---------------------------------------------------------------------------------

def _board(staff, as_of=None):
    answer = staff.get("/staff/api/dashboard" + (f"?asOf={as_of}" if as_of is not None else ""))
    assert answer.status_code == 200
    return answer.get_json()


def test_the_dashboard_says_unchanged_until_something_happens_in_its_clinic(app, sign_in, invitation_factory,
                                                                            clinic, db):
    staff = sign_in()
    full = _board(staff)
    assert full["rows"] == [] and full["asOf"]
    assert _board(staff, full["asOf"]) == {"unchanged": True, "asOf": full["asOf"]}
    # A patient opens the link and knocks: news of the clinic, so the next answer is the whole board.
    _invitation, patient, csrf = knocking_patient(app, invitation_factory, clinic, db)
    knocked = patient.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION},
                           headers={"X-CSRFToken": csrf})
    assert knocked.status_code == 201
    after = _board(staff, full["asOf"])
    assert "unchanged" not in after and after["rows"] and after["asOf"] != full["asOf"]
    assert _board(staff, after["asOf"]).get("unchanged") is True
    # An invitation made by a colleague is news of the clinic too.
    create_invitation(sign_in())
    later = _board(staff, after["asOf"])
    assert "unchanged" not in later and len(later["rows"]) == len(after["rows"]) + 1
    # A board read too long ago, or a moment that is not one, is built again.
    assert "unchanged" not in _board(staff, f"{time.time() - 16:.3f}")
    for hostile in ("", "nan", "inf", "-1", "1e999", "x" * 500, "99999999999999"):
        assert "rows" in _board(staff, hostile)


def test_news_of_another_clinic_leaves_the_board_unchanged(app, sign_in):
    from datetime import timedelta

    from patientapp import invitations
    from patientapp.models import Clinic, utcnow

    staff = sign_in()
    full = _board(staff)
    with app.extensions["patientapp.db"].writer_sessions() as session, session.begin():
        other = Clinic(slug="other", display_name="Sørby", phone="+4787654321", time_zone="Europe/Oslo",
                       room_settings={})
        session.add(other)
        session.flush()
        invitations.create_invitation(session, other, utcnow() + timedelta(hours=1), utcnow() + timedelta(hours=2),
                                      "nb")
    assert _board(staff, full["asOf"]).get("unchanged") is True


def test_a_knock_through_another_instance_reaches_the_dashboard(database_url, backend, sign_in, invitation_factory,
                                                                clinic, db):
    here, there = _two_instances(database_url, backend)
    try:
        person = sign_in()
        staff = StaffClient(here, person.staff_id, person.client.get_cookie("__Host-staff").value)
        full = _board(staff)
        _board(staff, full["asOf"])  # this process now listens
        assert here.extensions["patientapp.news"].ready.wait(10), "the news listener did not start"
        full = _board(staff)
        _invitation, patient, csrf = knocking_patient(there, invitation_factory, clinic, db)
        assert patient.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION},
                            headers={"X-CSRFToken": csrf}).status_code == 201
        assert _until(lambda: "rows" in _board(staff, full["asOf"])), "the dashboard still said unchanged"
    finally:
        _stop(here, there)
