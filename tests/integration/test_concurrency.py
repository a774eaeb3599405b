"""A few requests at work at once per process; the rest wait their turn or get a calm 503
(patientapp/concurrency.py). A held status request gives its place back while it sleeps."""
from tests.integration.test_status_hold import Held, _knock, _wait_until_held


def test_a_request_that_finds_no_place_gets_a_calm_503(app, client):
    places = app.extensions["patientapp.concurrency"]
    app.config["ACTIVE_REQUEST_WAIT_SECONDS"] = 0.2
    taken = 0
    while places.acquire(blocking=False):
        taken += 1
    try:
        page = client.get("/guide", headers={"Accept-Language": "nb"})
        api = client.get("/api/visit/status")
    finally:
        for _ in range(taken):
            places.release()
    assert taken == app.config["MAX_ACTIVE_REQUESTS"]
    assert page.status_code == 503 and page.headers["Retry-After"] == "5" and "<html" in page.get_data(as_text=True)
    assert api.status_code == 503 and api.get_json() == {"error": "busy"}
    assert client.get("/guide").status_code == 200  # places given back


def test_a_held_request_leaves_its_place_to_others(app, sign_in, invitation_factory, clinic, db):
    app.config.update(STATUS_HOLD_SECONDS=30, ACTIVE_REQUEST_WAIT_SECONDS=0.5)
    places = app.extensions["patientapp.concurrency"]
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    version = patient.get("/api/visit/status").get_json()["version"]
    staff = sign_in()
    # Leave exactly one place free: the held request takes it, then gives it back while it sleeps.
    taken = 0
    while taken < app.config["MAX_ACTIVE_REQUESTS"] - 1 and places.acquire(blocking=False):
        taken += 1
    try:
        held = Held(patient, version)
        _wait_until_held(app)
        assert app.test_client().get("/guide").status_code == 200
        # When it wakes, it takes a place again to answer.
        assert staff.api(f"/staff/api/knocks/{knock_id}/message", {"message": "late-5"}).status_code == 200
        answer = held.result(within=10)
    finally:
        for _ in range(taken):
            places.release()
    assert answer.status_code == 200 and answer.get_json()["message"] == "late-5"


def test_a_patient_woken_with_news_does_not_queue_but_a_timed_out_one_does(app, invitation_factory, clinic, db):
    """Let in while every place is taken (patients arriving in a rush): the answer goes out at once.
    A hold that merely ran out waits for a place like any request, and gets a calm 503 if none comes."""
    app.config.update(STATUS_HOLD_SECONDS=30, ACTIVE_REQUEST_WAIT_SECONDS=0.3)
    places = app.extensions["patientapp.concurrency"]
    watch = app.extensions["patientapp.watch"]
    invitation, patient, knock_id = _knock(app, invitation_factory, clinic, db)
    version = patient.get("/api/visit/status").get_json()["version"]
    held = Held(patient, version)
    _wait_until_held(app)
    def take_all():
        taken = 0
        while places.acquire(blocking=False):
            taken += 1
        return taken

    taken = take_all()
    try:
        watch.notify([invitation.id])  # what news of a change to the invitation does
        woken = held.result(within=5)
    finally:
        for _ in range(taken):
            places.release()
    assert woken.status_code == 200 and woken.get_json()["held"] is True

    app.config["STATUS_HOLD_SECONDS"] = 1
    version = woken.get_json()["version"]
    quiet = Held(patient, version)
    _wait_until_held(app)
    taken = take_all()  # taken while it sleeps: it must queue when its hold runs out
    try:
        timed_out = quiet.result(within=5)
    finally:
        for _ in range(taken):
            places.release()
    assert timed_out.status_code == 503 and timed_out.get_json() == {"error": "busy"}
