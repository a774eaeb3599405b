"""Settings from the environment reach the app: PATIENTAPP_PROXY_HOPS puts ProxyFix in front (R31)."""
from patientapp import config


def test_proxy_hops_comes_from_the_environment():
    assert config.from_environment({})["PROXY_HOPS"] == 0
    assert config.from_environment({"PATIENTAPP_PROXY_HOPS": "1"})["PROXY_HOPS"] == 1


def test_behind_one_proxy_the_client_address_and_https_come_from_its_headers(monkeypatch, tmp_path):
    from flask import request

    from patientapp import create_app

    monkeypatch.setenv("PATIENTAPP_PROXY_HOPS", "1")
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "PUBLIC_BASE_URL": "https://video.example",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    app.add_url_rule("/__test/who", "who", lambda: f"{request.remote_addr} {request.scheme}")
    answer = app.test_client().get("/__test/who", base_url="http://video.example",
                                   environ_base={"REMOTE_ADDR": "10.0.0.2"},
                                   headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert answer.get_data(as_text=True) == "203.0.113.7 https"
    app.extensions["patientapp.db"].dispose()
