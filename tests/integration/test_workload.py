"""A few requests at work at once per process; the rest wait their turn or get a calm 503
(patientapp/workload.py). A held status request gives its place back while it sleeps."""
from tests.integration.test_waiting_hold import Held, _knock, _wait_until_held
from tests.integration.test_workspace import clinic, sign_in  # noqa: F401


def test_a_request_that_finds_no_place_gets_a_calm_503(app, client):
    places = app.extensions["patientapp.workload"]
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


def test_a_held_request_leaves_its_place_to_others(app, sign_in, invitations, clinic, db):  # noqa: F811
    app.config.update(STATUS_HOLD_SECONDS=30, ACTIVE_REQUEST_WAIT_SECONDS=0.5)
    places = app.extensions["patientapp.workload"]
    invitation, patient, knock_id = _knock(app, invitations, clinic, db)
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
