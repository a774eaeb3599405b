"""/readyz (R63): 200 only when the database answers at the migrations' head and the rate-limit
storage answers or the in-memory fallback stands in; 503 otherwise; the body never says more."""
import socket

from sqlalchemy import text

from patientapp import create_app, readiness
from tests.conftest import TEST_CONFIG

OK, UNAVAILABLE = b'{"status":"ok"}', b'{"status":"unavailable"}'


def _body(response) -> bytes:
    return response.get_data().replace(b" ", b"").strip()


def _unused_redis() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{s.getsockname()[1]}/0"


def test_ready_says_ok_and_nothing_else(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and _body(response) == OK


def test_a_database_behind_the_migrations_is_not_ready(app, client):
    engine = app.extensions["patientapp.db"].engine
    with engine.begin() as conn:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert {current} == set(readiness.migration_heads())
        conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    try:
        response = client.get("/readyz")
        assert response.status_code == 503 and _body(response) == UNAVAILABLE
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
    assert client.get("/readyz").status_code == 200


def test_a_database_without_migrations_is_not_ready(tmp_path):
    empty = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})
    try:
        response = empty.test_client().get("/readyz")
        assert response.status_code == 503 and _body(response) == UNAVAILABLE
    finally:
        empty.extensions["patientapp.db"].dispose()


def _with_redis(database_url, redis_url, **settings):
    return create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "RATE_LIMITS": True,
                       "REDIS_URL": redis_url, **settings})


def test_unreachable_rate_limit_storage_without_fallback_is_not_ready(app, database_url):
    limited = _with_redis(database_url, _unused_redis(), RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=False)
    try:
        response = limited.test_client().get("/readyz")
        assert response.status_code == 503 and _body(response) == UNAVAILABLE
        assert b"redis" not in response.get_data() and b"127.0.0.1" not in response.get_data()
    finally:
        limited.extensions["patientapp.db"].dispose()


def test_unreachable_rate_limit_storage_with_the_fallback_is_ready(app, database_url):
    limited = _with_redis(database_url, _unused_redis())
    try:
        assert limited.test_client().get("/readyz").status_code == 200
    finally:
        limited.extensions["patientapp.db"].dispose()


def test_reachable_redis_is_ready(app, database_url):
    limited = _with_redis(database_url, "redis://127.0.0.1:6379/0", RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=False)
    try:
        response = limited.test_client().get("/readyz")
        assert response.status_code == 200 and _body(response) == OK
    finally:
        limited.extensions["patientapp.db"].dispose()
