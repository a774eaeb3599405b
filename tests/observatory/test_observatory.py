"""The MDN HTTP Observatory against a live local server (SECURITY.md R44, with R35–R42).

Each page is scanned by the Observatory's own retriever, tests and grader (scan.mjs), over plain
http on 127.0.0.1. Every test it can judge without TLS must pass. Two cannot:

- `strict-transport-security`: browsers ignore HSTS over http, and the Observatory judges it only
  on an https answer ("hsts-not-implemented-no-https"). The header itself is checked in
  tests/integration/test_security_headers.py (R37).
- `redirection`: it wants http to redirect to https on the same host. The app never sees http in
  production (the TLS proxy redirects), and there is no https here.

Both belong to the staging scan over https (R44).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
NEEDS_TLS = {"strict-transport-security", "redirection"}
# Every test this version of the Observatory runs (src/constants.js ALL_TESTS): a new one must be
# looked at, not passed over.
ALL_TESTS = {"content-security-policy", "cookies", "cross-origin-resource-sharing", "redirection",
             "referrer-policy", "strict-transport-security", "subresource-integrity",
             "x-content-type-options", "x-frame-options", "cross-origin-resource-policy"}

pytestmark = pytest.mark.one_backend  # headers do not depend on the database


def scan(url: str, cookie: str | None = None) -> dict:
    if shutil.which("node") is None or not (HERE / "node_modules/@mdn/mdn-http-observatory").is_dir():
        pytest.fail("The Observatory is not installed: run `make tests/observatory/node_modules/.installed`")
    done = subprocess.run(["node", str(HERE / "scan.mjs"), url, *([cookie] if cookie else [])],
                          capture_output=True, text=True, timeout=60, cwd=HERE)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def server(app):
    """The app on a free port; scanned as 127.0.0.1 (a trusted host in the tests' configuration)."""
    from patientapp.demo import serve

    with serve(app) as base_url:
        yield base_url.replace("localhost", "127.0.0.1")


def assert_passes(result: dict, *, final_path: str, cookies: bool) -> None:
    tests = result["tests"]
    assert set(tests) == ALL_TESTS, sorted(tests)
    assert result["scan"]["statusCode"] == 200, result["scan"]
    assert result["scan"]["finalUrl"].split("?")[0].endswith(final_path), result["scan"]["finalUrl"]
    failed = {name: t["result"] for name, t in tests.items() if name not in NEEDS_TLS and not t["pass"]}
    assert not failed, failed
    for name in NEEDS_TLS:  # excluded because there is no TLS, not because they fail for another reason
        assert tests[name]["result"] in (
            "hsts-not-implemented-no-https", "redirection-missing", "redirection-not-to-https"), tests[name]
    # The results that earn points, not only "pass" (R44's table).
    assert tests["content-security-policy"]["result"] == "csp-implemented-with-no-unsafe-default-src-none"
    assert tests["x-frame-options"]["result"] == "x-frame-options-implemented-via-csp"
    assert tests["referrer-policy"]["result"] == "referrer-policy-private"
    assert tests["cross-origin-resource-policy"]["result"] == "corp-implemented-with-same-origin"
    if cookies:
        # The cookies were seen and judged, not "cookies-not-found".
        assert tests["cookies"]["result"] == "cookies-secure-with-httponly-sessions-and-samesite", tests["cookies"]
    # The score the same headers get over https with HSTS and the redirect in place (both score 0
    # then): the Observatory's 100 plus every other test's modifier. R44 aims at 115 or more (A+).
    score = 100 + sum(t["scoreModifier"] for name, t in tests.items() if name not in NEEDS_TLS)
    assert score >= 115, {name: t["scoreModifier"] for name, t in tests.items()}


def test_landing_page_with_its_language_cookie(server):
    assert_passes(scan(f"{server}/?lang=ar"), final_path="/", cookies=True)


def test_guide(server):
    assert_passes(scan(f"{server}/guide/no-sound"), final_path="/guide/no-sound", cookies=False)


def _session_cookie(url: str) -> str:
    """Open a link without following its redirect; the patient's session cookie it sets."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(url)
    except urllib.error.HTTPError as answer:
        assert answer.code == 303, answer.code
        return re.search(r"__Host-session=[^;]+", answer.headers["Set-Cookie"]).group(0)
    pytest.fail("the link did not redirect")


def test_patients_visit_page_after_the_link(server, invitation_factory):
    # The scan opens the SMS link: /i/<token> sets the patient's session cookie (which the cookies test
    # judges) and redirects to /visit. The scanner's cookie jar (tough-cookie) never sends a Secure
    # cookie over plain http, so the scan carries one the same link gave a moment before.
    _invitation, token = invitation_factory.create(starts_in=timedelta(minutes=20))
    cookie = _session_cookie(f"{server}/i/{token}")
    result = scan(f"{server}/i/{token}", cookie=cookie)
    assert_passes(result, final_path="/visit", cookies=True)
    assert "__Host-session" in result["tests"]["cookies"]["data"]


def test_staff_dashboard_signed_in(server, app, db):
    from patientapp.models import Clinic
    from tests.conftest import staff_session

    clinic = Clinic(slug="test", display_name="Nordby helsesenter", phone="+4712345678", time_zone="Europe/Oslo",
                    room_settings={})
    db.add(clinic)
    db.flush()
    _person, token = staff_session(db, clinic.id, email="admin@example.no")
    result = scan(f"{server}/staff/", cookie=f"__Host-staff={token}")
    assert_passes(result, final_path="/staff/", cookies=True)
    assert re.search(r"Cache-Control", json.dumps(result["scan"]["responseHeaders"]), re.I)
    assert result["scan"]["responseHeaders"]["cache-control"] == "no-store"


def test_staff_sign_in_page(server):
    assert_passes(scan(f"{server}/staff/login"), final_path="/staff/login", cookies=False)
