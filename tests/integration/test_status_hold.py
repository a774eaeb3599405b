"""Held status requests (patientapp/status_hold.py): a waiting patient's question is held until
something changes, on both databases, across app instances, and never at the cost of other requests
(R10, R12, R60, R61)."""
import threading
from datetime import timedelta

from patientapp import create_app, knocks, status_hold
from patientapp.models import Knock, utcnow
from tests.conftest import TEST_CONFIG
from tests.integration.helpers import fresh, knocking_patient


def _knock(app, invitation_factory, clinic, db):
    invitation, patient, csrf = knocking_patient(app, invitation_factory, clinic, db)
    knocked = patient.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION},
                           headers={"X-CSRFToken": csrf})
    assert knocked.status_code == 201
    return invitation, patient, knocked.get_json()["knock"]


class Held:
    """A status request in a thread of its own, as a held request sits in a server thread."""

    def __init__(self, client, version):
        self.response, self.version = None, version
        self.thread = threading.Thread(target=self._run, args=(client, version), daemon=True)
        self.thread.start()

    def _run(self, client, version):
        self.response = client.get(f"/api/visit/status?seen={version}")

    def result(self, within):
        self.thread.join(within)
        assert not self.thread.is_alive(), f"the held request did not answer within {within} s"
        return self.response


def _wait_until_held(app, count=1):
    watch = app.extensions["patientapp.watch"]
    for _ in range(200):
        if watch.waiting >= count:
            return
        threading.Event().wait(0.02)
    raise AssertionError("the request was not held")


def _hold(app, patient) -> Held:
    """The patient's next status question, asked with the version it has and held by the server."""
    held = Held(patient, patient.get("/api/visit/status").get_json()["version"])
    _wait_until_held(app)
    return held


def test_answer_carries_a_version_and_invites_a_held_question(app, invitation_factory, clinic, db):
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    first = patient.get("/api/visit/status").get_json()
    assert first["state"] == "waiting" and first["wait"] is True and first["held"] is False
    assert len(first["version"]) == 16 and int(first["version"], 16) >= 0  # an opaque hash
    # A version the server does not have (stale, forged, absurd) is answered at once, never held.
    for seen in ("0" * 16, "x" * 5000, "<script>", ""):
        answer = patient.get("/api/visit/status", query_string={"seen": seen})
        assert answer.status_code == 200 and answer.get_json()["held"] is False
        assert answer.get_json()["version"] == first["version"]


def test_an_admission_wakes_the_held_request(app, sign_in, invitation_factory, clinic, db):
    app.config["STATUS_HOLD_SECONDS"] = 30
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    held = _hold(app, patient)
    staff = sign_in()
    assert staff.api(f"/staff/api/knocks/{knock_id}/admit").status_code == 200
    # Woken by the change, long before the 30 s hold would have ended.
    answer = held.result(within=10).get_json()
    assert answer["state"] == "admitted" and answer["held"] is True and answer["wait"] is False
    assert answer["room_url"].startswith("https://join.nhn.no/") and answer["version"] != held.version


def test_a_message_wakes_it_and_the_next_question_is_held_again(app, sign_in, invitation_factory, clinic, db):
    app.config["STATUS_HOLD_SECONDS"] = 30
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    held = _hold(app, patient)
    assert sign_in().api(f"/staff/api/knocks/{knock_id}/message", {"message": "late-10"}).status_code == 200
    answer = held.result(within=10).get_json()
    assert answer["message"] == "late-10" and answer["state"] == "waiting" and answer["wait"] is True
    again = Held(patient, answer["version"])
    _wait_until_held(app)
    assert sign_in().api(f"/staff/api/knocks/{knock_id}/deny").status_code == 200
    assert again.result(within=10).get_json()["state"] == "denied"


def test_nothing_happens_the_hold_ends_with_the_same_version(app, invitation_factory, clinic, db):
    app.config["STATUS_HOLD_SECONDS"] = 1
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    version = patient.get("/api/visit/status").get_json()["version"]
    answer = Held(patient, version).result(within=10).get_json()
    assert answer == {**answer, "state": "waiting", "version": version, "held": True, "wait": True}


def test_the_hold_ends_when_the_knock_lapses(app, invitation_factory, clinic, db):
    app.config.update(STATUS_HOLD_SECONDS=30, KNOCK_LAPSE_SECONDS=2)
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    version = patient.get("/api/visit/status").get_json()["version"]
    answer = Held(patient, version).result(within=10).get_json()
    assert answer["state"] == "lapsed" and answer["wait"] is False
    fresh(db)
    assert db.get(Knock, knock_id).state == knocks.LAPSED


def test_cancelling_the_invitation_ends_the_hold_with_the_link_gone(app, sign_in, invitation_factory, clinic, db):
    app.config["STATUS_HOLD_SECONDS"] = 30
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    held = _hold(app, patient)
    staff = sign_in()
    assert staff.form(f"/staff/invitations/{invitation.id}/revoke", {}).status_code == 303
    assert held.result(within=10).status_code == 410


def test_when_every_holding_place_is_taken_the_answer_comes_at_once(app, invitation_factory, clinic, db):
    app.config["STATUS_HOLD_SECONDS"] = 30
    watch = app.extensions["patientapp.watch"]
    saved, watch.capacity = watch.capacity, 0
    try:
        invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
        version = patient.get("/api/visit/status").get_json()["version"]
        answer = Held(patient, version).result(within=5).get_json()
        # Not held: the page waits its ordinary interval (3 s) before it asks again.
        assert answer["held"] is False and answer["version"] == version and answer["state"] == "waiting"
    finally:
        watch.capacity = saved


def test_holding_off_is_plain_polling(app, invitation_factory, clinic, db):
    app.config["STATUS_HOLD_SECONDS"] = 0
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    version = patient.get("/api/visit/status").get_json()["version"]
    answer = Held(patient, version).result(within=5).get_json()
    assert answer["wait"] is False and answer["held"] is False
    assert 'data-hold="0"' in patient.get("/visit/wait").get_data(as_text=True)


def test_held_patients_stay_seen_without_a_write_each(app, invitation_factory, clinic, db):
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    long_ago = utcnow() - timedelta(minutes=5)
    db.get(Knock, knock_id).last_seen_at = long_ago
    db.commit()
    engine = app.extensions["patientapp.db"].engine
    watch = status_hold.Watcher(engine, heartbeat_every=0)
    with engine.connect() as conn:
        baseline = status_hold.signatures(conn, [invitation.id])[invitation.id]
    waiter = status_hold._Waiter(invitation.id, knock_id, baseline)
    assert watch.check([waiter]) == 0 and not waiter.event.is_set()
    fresh(db)
    assert db.get(Knock, knock_id).last_seen_at > long_ago + timedelta(minutes=4)
    # Seen a moment ago (by the patient's own request, or the heartbeat of another process): not written again.
    moment_ago = utcnow() - timedelta(seconds=2)
    db.get(Knock, knock_id).last_seen_at = moment_ago
    db.commit()
    watch.check([waiter])
    fresh(db)
    assert db.get(Knock, knock_id).last_seen_at == moment_ago


def test_an_admission_through_another_instance_reaches_the_patient_as_news(database_url, backend, sign_in,
                                                                          invitation_factory, clinic, db):
    """Two app instances on one database (scale-out): the patient waits on one, staff admit on the
    other. With the safety poll an hour away, only the news can wake the patient: PostgreSQL's
    NOTIFY, or Redis pub/sub for SQLite (status_news.py)."""
    from tests.instances import REDIS_URL
    from tests.integration.helpers import StaffClient

    settings = {**TEST_CONFIG, "DATABASE_URL": database_url, "STATUS_HOLD_SECONDS": 30,
                "STATUS_SAFETY_POLL_SECONDS": 3600, "REDIS_URL": REDIS_URL if backend == "sqlite" else ""}
    here, there = create_app(settings), create_app(settings)
    try:
        assert {here.extensions["patientapp.news"].name, there.extensions["patientapp.news"].name} == {
            "redis" if backend == "sqlite" else "postgresql"}
        invitation, patient, knock_id = _knock(here, invitation_factory, clinic, db)
        news = here.extensions["patientapp.news"]
        news.start()
        assert news.ready.wait(10), "the news listener did not start"
        held = _hold(here, patient)
        staff = sign_in()
        elsewhere = StaffClient(there, staff.staff_id, staff.client.get_cookie("__Host-staff").value)
        assert elsewhere.api(f"/staff/api/knocks/{knock_id}/admit").status_code == 200
        assert held.result(within=10).get_json()["state"] == "admitted"
    finally:
        for app_ in (here, there):
            app_.extensions["patientapp.news"].stop()
            app_.extensions["patientapp.db"].dispose()


def test_the_watcher_survives_a_database_error(app, invitation_factory, clinic, db, caplog):
    """A failing round is logged and retried; the held request still ends at its timeout."""
    app.config["STATUS_HOLD_SECONDS"] = 2
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    version = patient.get("/api/visit/status").get_json()["version"]
    watch = app.extensions["patientapp.watch"]
    watch.safety_interval = 0.2
    watch.notify([])  # the watcher reads its new interval now, not after the old one
    real = watch.check
    calls = []

    def failing(waiters=None):
        calls.append(1)
        raise RuntimeError("database away")

    watch.check = failing
    try:
        answer = Held(patient, version).result(within=10).get_json()
    finally:
        watch.check = real
    assert calls and answer["state"] == "waiting" and answer["held"] is True
    assert "could not read the waiting room" in caplog.text


def test_signatures_of_many_invitations_in_one_query(app, invitation_factory, clinic, db):
    made = [invitation_factory.create(starts_in=timedelta(minutes=10))[0] for _ in range(3)]
    engine = app.extensions["patientapp.db"].engine
    with engine.connect() as conn:
        found = status_hold.signatures(conn, [i.id for i in made] + [999999])
    assert set(found) == {i.id for i in made}  # a vanished invitation has no signature: a change
    assert all(sig[3] is None for sig in found.values())  # no knock yet
    assert len({status_hold.version_of(None), status_hold.version_of(found[made[0].id])}) == 2


def test_a_status_request_computes_the_watchers_signature_from_what_it_read(app, sign_in,
                                                                            invitation_factory, clinic, db):
    """The request's baseline comes from the rows it loaded, the watcher's from its own query: they
    must agree, or every held request would wake at once (or, worse, never)."""
    from patientapp.models import Invitation

    unknocked = invitation_factory.create(starts_in=timedelta(minutes=10))[0]
    invitation, _patient, knock_id = _knock(app, invitation_factory, clinic, db)
    staff = sign_in()
    assert staff.api(f"/staff/api/knocks/{knock_id}/message", {"message": "late-5"}).status_code == 200
    engine = app.extensions["patientapp.db"].engine
    with engine.connect() as conn:
        expected = status_hold.signatures(conn, [unknocked.id, invitation.id])
    with app.app_context(), app.extensions["patientapp.db"].sessions() as session:
        for invitation_id in (unknocked.id, invitation.id):
            loaded = session.get(Invitation, invitation_id)
            knock = knocks.latest_knock(session, loaded)
            assert status_hold.signature_of(loaded, knock) == expected[invitation_id]
    assert expected[invitation.id][3:6] == (knock_id, "waiting", "late-5")


def test_only_what_a_waiting_page_shows_is_news(database_url, sign_in, invitation_factory, clinic, db):
    """A message or an admission is news of the invitation; "last seen" is not; a rolled-back change
    is not (status_news.changed_invitations). Each is news of the clinic too, for its dashboards
    (status_news.changed_clinics). An app of its own, whose listener never starts: only its own
    commits reach `deliver`, and they do so before the commit returns."""
    from tests.integration.helpers import StaffClient

    here = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})
    heard: list[tuple[set[int], set[int]]] = []
    here.extensions["patientapp.news"].deliver = lambda ids, clinics: heard.append((set(ids), set(clinics)))
    try:
        invitation, patient, knock_id = _knock(here, invitation_factory, clinic, db)
        assert heard and heard[-1] == ({invitation.id}, {clinic.id})  # the link opened, the knock
        heard.clear()
        with here.app_context(), here.extensions["patientapp.db"].writer_sessions() as session:
            session.get(Knock, knock_id).last_seen_at = utcnow()
            session.commit()
            session.get(Knock, knock_id).message = "late-5"
            session.flush()
            session.rollback()
        assert heard == []
        staff = sign_in()
        there = StaffClient(here, staff.staff_id, staff.client.get_cookie("__Host-staff").value)
        assert there.api(f"/staff/api/knocks/{knock_id}/message", {"message": "late-10"}).status_code == 200
        assert heard == [({invitation.id}, {clinic.id})]
    finally:
        here.extensions["patientapp.db"].dispose()


def _queries(app):
    """The threads that send statements to this app's database, one entry per statement."""
    from sqlalchemy import event

    sent = []
    engine = app.extensions["patientapp.db"].engine
    listener = lambda *args: sent.append(threading.get_ident())  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    return sent, lambda: event.remove(engine, "before_cursor_execute", listener)


def test_the_next_question_after_a_quiet_hold_reads_nothing(app, invitation_factory, clinic, db):
    """The page asks again at once with the version it was given; with no news since, the server
    holds it on what it read before (status_hold.Known): no query, times computed afresh."""
    app.config["STATUS_HOLD_SECONDS"] = 1
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    version = patient.get("/api/visit/status").get_json()["version"]
    first = Held(patient, version).result(within=10).get_json()
    assert first["held"] is True and first["version"] == version
    sent, stop = _queries(app)
    try:
        held = Held(patient, version)
        again = held.result(within=10).get_json()
    finally:
        stop()
    assert held.thread.ident not in sent  # (the watcher's safety poll may read meanwhile)
    assert again["held"] is True and again["version"] == version and again["state"] == "waiting"
    assert again["waited"] >= first["waited"] + 1 and again["knock"] == knock_id


def test_news_or_a_change_behind_the_apps_back_makes_the_next_question_read(app, invitation_factory, clinic, db):
    from sqlalchemy import text

    from patientapp.models import Invitation

    app.config["STATUS_HOLD_SECONDS"] = 1
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    version = patient.get("/api/visit/status").get_json()["version"]
    assert Held(patient, version).result(within=10).get_json()["held"] is True
    # A new link (staff replaced a wrong number): news, and the old session's question ends in 410.
    fresh(db)
    db.get(Invitation, invitation.id).link_generation = 2
    db.commit()
    assert Held(patient, version).result(within=10).status_code == 410

    other, patient2, knock2 = _knock(app, invitation_factory, clinic, db)
    version = patient2.get("/api/visit/status").get_json()["version"]
    assert Held(patient2, version).result(within=10).get_json()["held"] is True
    # A change no news carried (written by hand): the safety poll wakes the hold, and the question
    # after it reads again.
    watch = app.extensions["patientapp.watch"]
    saved, watch.safety_interval = watch.safety_interval, 0.2
    watch.notify([])
    try:
        db.execute(text("UPDATE knocks SET message = 'late-15' WHERE id = :k"), {"k": knock2})
        db.commit()
        answer = Held(patient2, version).result(within=10).get_json()
    finally:
        watch.safety_interval = saved
    assert answer["message"] == "late-15" and answer["version"] != version
