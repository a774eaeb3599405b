"""Rate limits on the exposed endpoints (R45): who is counted, what a 429 looks like, Redis shared
between app objects, the in-memory fallback when Redis is away, and the refusal to count in memory
with several workers. The suite's own app has limits off; these tests use apps that have them on."""
import json
import os
import re
import runpy
import socket
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from limits import parse
from webauthn.helpers import bytes_to_base64url

from patientapp import config, create_app, knocks, limits, links
from patientapp.models import Passkey
from tests.conftest import TEST_CONFIG
from tests.integration.helpers import StaffClient, create_invitation, link_token

ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("PATIENTAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _limited_app(database_url, instance, **overrides):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "RATE_LIMITS": True, **overrides})
    app.instance_path = str(instance)
    return app


@pytest.fixture(scope="module")
def shared_limited(database_url, tmp_path_factory):
    """One app with limits on, behind one trusted proxy (X-Forwarded-For), counting in memory."""
    app = _limited_app(database_url, tmp_path_factory.mktemp("limited"), PROXY_HOPS=1)
    yield app
    app.extensions["patientapp.db"].dispose()


@pytest.fixture
def limited(shared_limited, app):
    """That app with empty tables (through `app`), fresh counts and its settings restored afterwards."""
    saved = dict(shared_limited.config)
    shared_limited.extensions[limits.EXTENSION].reset()
    yield shared_limited
    shared_limited.config.clear()
    shared_limited.config.update(saved)


@pytest.fixture
def redis_prefix():
    """A key prefix of our own on the shared Redis; its keys are deleted afterwards."""
    prefix = "test-" + uuid.uuid4().hex[:12]
    yield prefix
    client = redis.Redis.from_url(REDIS)
    keys = list(client.scan_iter(f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def _assert_retry_after(response, at_most):
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= at_most


def _patient(app, invitation_factory):
    """A patient who opened a link that allows knocking now, with the waiting page's CSRF token."""
    _, token = invitation_factory.create(language="en", starts_in=timedelta(minutes=10))
    client = app.test_client()
    assert client.get(f"/i/{token}").status_code == 303
    return client, _csrf(client.get("/visit/wait").get_data(as_text=True))


# -- links ---------------------------------------------------------------------------------------

def test_the_31st_bad_link_in_a_minute_is_refused_with_retry_after(limited):
    client = limited.test_client()
    for _ in range(30):
        assert client.get(f"/i/{links.new_token()}").status_code == 410
    refused = client.get(f"/i/{links.new_token()}")
    _assert_retry_after(refused, 60)
    # Signed device links draw on the same budget: one guess of either kind counts.
    _assert_retry_after(client.get("/d/anything.signed"), 60)
    # Other pages are not limited.
    assert client.get("/").status_code == 200


def test_addresses_behind_the_trusted_proxy_are_counted_apart(limited):
    client = limited.test_client()
    for _ in range(30):
        client.get(f"/i/{links.new_token()}", headers={"X-Forwarded-For": "203.0.113.7"})
    assert client.get(f"/i/{links.new_token()}", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    assert client.get(f"/i/{links.new_token()}", headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 410
    # The proxy's own address (no header) is a client of its own too.
    assert client.get(f"/i/{links.new_token()}").status_code == 410


def test_the_429_page_is_calm_and_in_the_visitors_language(limited):
    limited.config["RATE_LIMIT_LINK"] = "1/minute"
    client = limited.test_client()
    client.get(f"/i/{links.new_token()}")
    page = client.get(f"/i/{links.new_token()}", headers={"Accept-Language": "pl"})
    html = page.get_data(as_text=True)
    assert page.status_code == 429 and '<html lang="pl"' in html
    assert "<h1>Zbyt wiele prób</h1>" in html, html  # "Too many attempts"
    assert re.search(r'class="pa-lead">[^<]*\b1\b', html)  # wait 1 minute
    for lang in ("nb", "ar", "so", "ur"):
        other = client.get(f"/i/{links.new_token()}?lang={lang}").get_data(as_text=True)
        assert f'<html lang="{lang}"' in other, lang
        assert "Too many" not in other and "try again" not in other, lang


def test_an_hourly_limit_asks_for_more_minutes(limited):
    limited.config["RATE_LIMIT_LINK"] = "1/hour"
    client = limited.test_client()
    client.get(f"/i/{links.new_token()}")
    refused = client.get(f"/i/{links.new_token()}", headers={"Accept-Language": "en"})
    _assert_retry_after(refused, 3600)
    assert int(refused.headers["Retry-After"]) > 3000
    assert "Wait 60 minutes, then try again." in refused.get_data(as_text=True)


# -- the waiting room ------------------------------------------------------------------------------

def test_knocks_are_limited_per_visit(limited, invitation_factory):
    patient, csrf = _patient(limited, invitation_factory)
    knock = {"json": {"consent_version": knocks.CONSENT_VERSION}, "headers": {"X-CSRFToken": csrf}}
    for _ in range(10):
        assert patient.post("/api/visit/knock", **knock).status_code == 201
    refused = patient.post("/api/visit/knock", **knock)
    _assert_retry_after(refused, 60)
    assert refused.get_json()["error"] == "rate-limited" and "minute" in refused.get_json()["message"]
    # Another patient on the same address (a family's Wi-Fi) is not held back.
    other, other_csrf = _patient(limited, invitation_factory)
    assert other.post("/api/visit/knock", json={"consent_version": knocks.CONSENT_VERSION},
                      headers={"X-CSRFToken": other_csrf}).status_code == 201


def test_status_requests_are_limited_per_visit(limited, invitation_factory):
    patient, _csrf_token = _patient(limited, invitation_factory)
    for _ in range(60):
        assert patient.get("/api/visit/status").status_code == 200
    refused = patient.get("/api/visit/status")
    _assert_retry_after(refused, 60)
    assert refused.get_json()["error"] == "rate-limited"
    other, _ = _patient(limited, invitation_factory)
    assert other.get("/api/visit/status").status_code == 200


def test_a_waiting_page_stays_far_below_the_status_limit():
    """Held requests come every ~20 s, plain polling every STATUS_POLL_SECONDS: a third of the limit or less."""
    item = parse(config.DEFAULTS["RATE_LIMIT_STATUS"].split(";")[0])
    allowed_per_minute = item.amount * 60 / item.get_expiry()
    polling_per_minute = 60 / config.DEFAULTS["STATUS_POLL_SECONDS"]
    assert polling_per_minute * 3 <= allowed_per_minute


# -- the clinic's side -----------------------------------------------------------------------------

def test_webauthn_steps_are_limited_per_address(limited):
    client = limited.test_client()
    csrf = _csrf(client.get("/staff/login").get_data(as_text=True))
    for _ in range(10):
        assert client.post("/staff/webauthn/login/options", headers={"X-CSRFToken": csrf}).status_code == 200
    refused = client.post("/staff/webauthn/login/options", headers={"X-CSRFToken": csrf})
    _assert_retry_after(refused, 60)
    assert refused.get_json()["error"] == "rate-limited"
    elsewhere = client.post("/staff/webauthn/login/options",
                            headers={"X-CSRFToken": csrf, "X-Forwarded-For": "198.51.100.4"})
    assert elsewhere.status_code == 200


def test_sign_in_attempts_are_limited_per_account_from_any_address(limited, sign_in, db):
    limited.config["RATE_LIMIT_WEBAUTHN_ACCOUNT"] = "3/hour"
    bodies = {}
    for name in ("kari", "ola"):
        raw = os.urandom(16)
        db.add(Passkey(staff_id=sign_in().staff_id, credential_id=raw, public_key=b"k", name="Key"))
        bodies[name] = json.dumps({"rawId": bytes_to_base64url(raw)})
    db.commit()
    client = limited.test_client()
    csrf = _csrf(client.get("/staff/login").get_data(as_text=True))

    def verify(body, address):
        return client.post("/staff/webauthn/login/verify", data=body, content_type="application/json",
                           headers={"X-CSRFToken": csrf, "X-Forwarded-For": address})

    for n in range(3):  # every attempt from a new address: only the account's count grows
        assert verify(bodies["kari"], f"192.0.2.{n + 1}").status_code == 400
    _assert_retry_after(verify(bodies["kari"], "192.0.2.50"), 3600)
    assert verify(bodies["ola"], "192.0.2.51").status_code == 400


def _sms_sender(app, sign_in):
    """A staff member on the limited app, with one invitation's SMS form ready to post."""
    person = sign_in()
    person = StaffClient(app, person.staff_id, person.client.get_cookie("__Host-staff").value)
    response = create_invitation(person, language="nb")
    invitation_id = re.search(r"/staff/invitations/(\d+)/sms", response.get_data(as_text=True)).group(1)
    form = {"phone": "912 34 567", "token": link_token(response)}
    return lambda: person.form(f"/staff/invitations/{invitation_id}/sms", form)


def test_sms_sending_is_limited_per_staff_member(limited, sign_in):
    kari, ola = _sms_sender(limited, sign_in), _sms_sender(limited, sign_in)
    for _ in range(20):
        assert kari().status_code == 200
    refused = kari()
    _assert_retry_after(refused, 3600)
    assert "<h1>" in refused.get_data(as_text=True)  # a page, for a form post
    assert ola().status_code == 200


def test_sms_sending_is_limited_per_clinic(limited, sign_in):
    limited.config["RATE_LIMIT_SMS_CLINIC"] = "3/day"  # 200 sends would make a slow test
    kari, ola = _sms_sender(limited, sign_in), _sms_sender(limited, sign_in)
    assert [kari().status_code, kari().status_code, ola().status_code] == [200, 200, 200]
    assert ola().status_code == 429 and kari().status_code == 429


def test_enrolment_links_are_limited_per_address(limited):
    client = limited.test_client()
    for _ in range(5):
        assert client.get(f"/staff/enrol/{links.new_token()}").status_code == 410
    _assert_retry_after(client.get(f"/staff/enrol/{links.new_token()}"), 3600)


def test_speed_samples_are_limited_per_address(limited):
    """The review: a mebibyte of random bytes per anonymous call, without a limit."""
    client = limited.test_client()
    for _ in range(6):
        assert client.get("/api/check/download?bytes=1024").status_code == 200
    refused = client.get("/api/check/download?bytes=1024")
    _assert_retry_after(refused, 60)
    assert refused.mimetype == "application/json" and len(refused.data) < 1000
    limited.config["RATE_LIMIT_DOWNLOAD"] = "100/minute;30/hour"  # the hourly cap, on its own
    other = limited.test_client()
    answers = [other.get("/api/check/download?bytes=1", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code
               for _ in range(31)]
    assert answers == [200] * 30 + [429]


def test_device_codes_are_limited_per_address(limited):
    """Six digits are guessable in principle (device_codes.py): ten guesses a minute per address."""
    limited.config["CODE_ANSWER_SECONDS"] = 0
    client = limited.test_client()
    answers = [client.post("/code", data={"code": f"{n:06d}"}, headers={"Accept-Language": "en", "Origin": "http://localhost"})
               for n in range(11)]
    assert [a.status_code for a in answers] == [400] * 10 + [429]
    assert "This code does not work" in answers[0].get_data(as_text=True)
    assert limited.test_client().get("/code").status_code == 200  # the form itself is not counted


# -- storage ---------------------------------------------------------------------------------------

def test_two_app_objects_on_one_redis_share_their_counts(app, database_url, tmp_path, redis_prefix):
    """The scale-out property: a second worker or host does not give an address a second budget."""
    one, two = (_limited_app(database_url, tmp_path, REDIS_URL=REDIS, RATE_LIMIT_PREFIX=redis_prefix)
                for _ in range(2))
    try:
        assert one.extensions[limits.EXTENSION].storage.check()
        for n in range(30):
            assert (one if n % 2 else two).test_client().get(f"/i/{links.new_token()}").status_code == 410
        _assert_retry_after(one.test_client().get(f"/i/{links.new_token()}"), 60)
        _assert_retry_after(two.test_client().get(f"/i/{links.new_token()}"), 60)
        # An app with another prefix on the same Redis counts apart.
        other = _limited_app(database_url, tmp_path, REDIS_URL=REDIS, RATE_LIMIT_PREFIX=redis_prefix + "-b")
        assert other.test_client().get(f"/i/{links.new_token()}").status_code == 410
        other.extensions["patientapp.db"].dispose()
    finally:
        for each in (one, two):
            each.extensions["patientapp.db"].dispose()


def test_without_redis_the_app_answers_and_counts_in_memory(app, database_url, tmp_path):
    limited = _limited_app(database_url, tmp_path, REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0")
    try:
        client = limited.test_client()
        assert client.get("/").status_code == 200
        for _ in range(30):
            assert client.get(f"/i/{links.new_token()}").status_code == 410
        _assert_retry_after(client.get(f"/i/{links.new_token()}"), 60)
        assert client.get("/readyz").status_code == 200
    finally:
        limited.extensions["patientapp.db"].dispose()


def test_without_redis_or_fallback_pages_still_answer(app, database_url, tmp_path):
    """Never a 500 from the limiter: without its storage and fallback it lets requests through."""
    limited = _limited_app(database_url, tmp_path, REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0",
                           RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=False)
    try:
        client = limited.test_client()
        assert client.get("/").status_code == 200
        assert {client.get(f"/i/{links.new_token()}").status_code for _ in range(31)} == {410}
    finally:
        limited.extensions["patientapp.db"].dispose()


# -- start-up ----------------------------------------------------------------------------------------

def test_several_workers_need_redis():
    memory = {"REDIS_URL": "", "RATE_LIMITS": True}
    with pytest.raises(limits.SharedMemoryRefused, match="PATIENTAPP_REDIS_URL"):
        limits.refuse_memory_with_workers(2, memory)
    limits.refuse_memory_with_workers(1, memory)
    limits.refuse_memory_with_workers(4, {**memory, "REDIS_URL": "redis://127.0.0.1:6379/0"})
    limits.refuse_memory_with_workers(4, {**memory, "RATE_LIMITS": False})  # tests and benchmarks only


def test_create_app_refuses_web_concurrency_with_memory_counts(monkeypatch, tmp_path):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    with pytest.raises(limits.SharedMemoryRefused):
        create_app({**TEST_CONFIG, "RATE_LIMITS": True, "REDIS_URL": "",
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'refused.sqlite3'}"})


@pytest.mark.parametrize("redis_url, workers", [("", 1), ("redis://127.0.0.1:6379/0", 2)])
def test_gunicorn_defaults_to_one_worker_without_redis(monkeypatch, redis_url, workers):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("PATIENTAPP_REDIS_URL", redis_url)
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"] == workers


def test_gunicorn_refuses_two_workers_without_redis(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATIENTAPP_")}
    env.update(WEB_CONCURRENCY="2", PORT=str(_free_port()),
               PATIENTAPP_DATABASE_URL=f"sqlite:///{tmp_path / 'refused.sqlite3'}")
    done = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "patientapp:create_app()"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "2 gunicorn workers would each count rate limits on their own" in done.stderr
    assert "PATIENTAPP_REDIS_URL" in done.stderr
