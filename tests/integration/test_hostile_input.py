"""Hostile input at every form and JSON endpoint, and at the query parameters the app reads (R43, R34).

Hypothesis builds requests from crafted and random strings (huge, control characters, NUL, right-to-left
overrides, SQL and template injection, HTML, invalid UTF-8), deeply nested or wrong-type JSON, wrong
content types, missing and duplicated fields, and good, bad or missing CSRF tokens. A signed-in
administrator and a patient with a working link send them, so that hostile values get past CSRF and
sign-in and reach validation. For every request:

- never a 5xx, and no stack trace in the body;
- a refused one (4xx) leaves every table as it was (each table of `Base.metadata`, read in primary
  key order) and the SMS outbox untouched; the only exceptions are written in REFUSAL_MAY and are
  the app's design: refused staff actions and sign-in attempts are audited (R49), and a WebAuthn
  challenge is deleted at the first attempt, good or bad (R17);
- an accepted one changes only the tables its endpoint is about.

`ENDPOINTS` is checked against `app.url_map`: a new route with POST (or a new GET that reads a
parameter) fails `test_every_endpoint_is_covered` until it is listed here.
Bounded and reproducible: the "hostile" settings profile (derandomized, no example database).
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

settings.register_profile(
    "hostile", max_examples=30, deadline=None, derandomize=True, database=None, print_blob=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much])

PEXIP = {"key": "room-1", "label": "Rom 1", "provider": "pexip", "node": "join.nhn.no", "alias": "123456",
         "autolock": True}
# Never seen in a body: what Python's tracebacks, Jinja's and SQLAlchemy's errors print.
LEAKS = re.compile(r"Traceback \(most recent call last\)|File \"/|sqlalchemy\.|jinja2\.|Werkzeug Debugger")

CRAFTED = [
    "", " ", "\x00", "a\x00b", "\x01\x02\x1b[31m", "\t\r\n", "\r\nSet-Cookie: x=1",
    "\u202e\u0645\u0631\u062d\u0628\u0627", "\u202dabc\u202c", "\ufeff", "\u200b",
    "{{7*7}}", "{% for x in range(9) %}x{% endfor %}", "${7*7}", "#{7*7}",
    "'; DROP TABLE invitations; --", "1' OR '1'='1", "\" OR 1=1 --", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "javascript:alert(1)", "%s%s%n", "%(secret)s", "../../etc/passwd",
    "null", "true", "[]", "{}", "-1", "0", "99999999999999999999999", "1e309", "NaN", "2026-02-30", "25:61",
    "٢٠٢٦-١٢-٠١", "१२", "𝟙𝟚", "https://evil.example", "http://localhost:1/x", "https://*.example.no",
    "https://user:pw@example.no", "xn--", "https://xn--zz.no", "a" * 300, "Ω" * 2000, "x" * 40_000,
    "12345678901", "+4791234567", "late-5", "admit", "nb", "ar", "room-1", "pexip", "admin",
]


class _Quiet(list):
    """A list that prints short: Hypothesis prints its strategies, and these hold 40 kB strings."""

    def __repr__(self):
        return f"<{len(self)} crafted values>"


def _pick(items):
    return st.integers(0, len(items) - 1).map(_Quiet(items).__getitem__)


hostile_text = st.one_of(
    _pick(CRAFTED),
    st.text(max_size=60),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn"]), max_size=30),
    st.builds(lambda a, b: a + b, _pick(CRAFTED), st.text(max_size=20)),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text)
hostile_json = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)), max_leaves=12)
# Raw bodies: invalid UTF-8, nesting deeper than any parser recurses, truncated and oversized JSON.
RAW_BODIES = [b"\xff\xfe\xfd", b"{\"a\": \"\xc3\x28\"}", b"[" * 30_000 + b"]" * 30_000,
              b"{\"a\":" * 10_000 + b"1" + b"}" * 10_000, b"{\"consent_version\": ", b"\x00" * 100,
              b"a=\xff&b=%ff%fe&csrf_token=\xc3\x28", b"x" * 70_000, b"%", b"a=1&a=2&a=3"]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data",
                 "text/plain", "application/csp-report", "application/reports+json", "text/html; charset=utf-7",
                 "application/json; charset=latin-1", "", "image/png"]


@dataclass
class Endpoint:
    """One route: how it is called, with which fields, by whom, and what it may change."""

    rule: str                      # the rule in app.url_map
    method: str
    path: str                      # with {placeholders} from the world
    who: str                       # "admin", "patient" or "anyone"
    fields: dict = field(default_factory=dict)  # field name -> strategy of plausible values
    body: str = "form"             # "form", "json", "raw" (the body is the credential) or "query"
    changes: frozenset = frozenset()  # tables an accepted request may change
    refusal_may: frozenset = frozenset()  # tables a refused one may change, by design (see module doc)
    before: str | None = None      # a request that sets the scene (a WebAuthn challenge)
    headers: dict = field(default_factory=dict)  # what a browser always sends (the Origin of a form)

    def __repr__(self):
        return f"{self.method} {self.path}"

    def _repr_pretty_(self, printer, cycle):  # how Hypothesis prints a failing example
        printer.text(repr(self))


def _values(*good):
    return st.sampled_from(good)


def _date():
    return st.dates().map(lambda d: d.isoformat())


INVITATION_FIELDS = {"date": _values("2030-01-15", "2031-06-30"), "time": _values("10:00", "23:59", "00:00"),
                     "duration": _values("30", "5", "240"), "language": _values("nb", "ar", "ur"),
                     "label": _values("KN", "", "Ref 12"), "room": _values("room-1")}
AUDIT = frozenset({"audit_events"})

ENDPOINTS = [
    # --- the patient -------------------------------------------------------------------------
    Endpoint("/api/visit/knock", "POST", "/api/visit/knock", "patient", {"consent_version": _values("2025-1", "v1")},
             body="json", changes=frozenset({"knocks", "invitations"})),
    Endpoint("/api/visit/check", "POST", "/api/visit/check", "patient",
             {"camera": _values("ok", "warn", "fail"), "microphone": _values("ok", "pending"), "light": _values("ok")},
             body="json", changes=frozenset({"invitations"})),
    Endpoint("/api/visit/handoff-failed", "POST", "/api/visit/handoff-failed", "patient", body="json",
             changes=frozenset({"knocks", "audit_events"})),
    Endpoint("/visit/withdraw", "POST", "/visit/withdraw", "patient", {"confirm": _values("1")},
             changes=frozenset({"invitations", "knocks", "audit_events"})),
    Endpoint("/api/visit/status", "GET", "/api/visit/status", "patient", {"seen": hostile_text}, body="query",
             changes=frozenset({"knocks"})),
    Endpoint("/visit", "GET", "/visit", "patient", {"lang": _values("ar", "pl")}, body="query"),
    Endpoint("/visit/device-code", "POST", "/visit/device-code", "patient", changes=frozenset({"device_codes"})),
    Endpoint("/code", "POST", "/code", "anyone", {"code": _values("123456", "ABCDE FGHJK", "١٢٣ ٤٥٦", "abcde-fghjk")},
             changes=frozenset({"device_codes"}), headers={"Origin": "http://localhost"}),
    Endpoint("/", "GET", "/", "anyone", {"lang": _values("ar", "so", "ur")}, body="query"),
    Endpoint("/guide", "GET", "/guide", "anyone", {"lang": _values("en")}, body="query"),
    Endpoint("/check", "GET", "/check", "anyone", {"lang": _values("en")}, body="query"),
    Endpoint("/api/check/download", "GET", "/api/check/download", "anyone", {"bytes": _values("1", "1000")},
             body="query"),
    Endpoint("/csp-report", "POST", "/csp-report", "anyone",
             {"csp-report": st.fixed_dictionaries({"violated-directive": hostile_text}),
              "body": st.fixed_dictionaries({"effectiveDirective": hostile_text})}, body="json"),
    # --- embeds -------------------------------------------------------------------------------
    Endpoint("/embed/<clinic>/<lang>/", "GET", "/embed/test/nb/", "anyone", {"lang": _values("ar")}, body="query"),
    Endpoint("/embed/<clinic>/", "GET", "/embed/test/", "anyone", {"lang": _values("ar")}, body="query"),
    Endpoint("/embed/<clinic>/<lang>/check", "GET", "/embed/test/ar/check", "anyone", {"lang": _values("nb")},
             body="query"),
    Endpoint("/embed/<clinic>/<lang>/sheet", "GET", "/embed/test/ur/sheet", "anyone", {"lang": _values("nb")},
             body="query"),
    Endpoint("/sheet", "GET", "/sheet", "patient", {"lang": _values("so", "ar")}, body="query"),
    Endpoint("/embed/<clinic>/<lang>/guide/<slug>", "GET", "/embed/test/pl/guide/no-sound", "anyone",
             {"lang": _values("nb")}, body="query"),
    # --- the workspace --------------------------------------------------------------------------
    Endpoint("/staff/invitations/new", "POST", "/staff/invitations/new", "admin",
             {**INVITATION_FIELDS, "delivery": _values("none", "sms"), "phone": _values("91234567", "")},
             changes=frozenset({"invitations", "invitation_links", "audit_events", "outbox"})),
    Endpoint("/staff/invitations", "GET", "/staff/invitations", "admin",
             {"period": _values("today", "upcoming", "past"), "day": _date(), "state": _values("knocking", ""),
              "room": _values("room-1"), "language": _values("ar", ""), "label": _values("KN", "%", "_"),
              "page": _values("1", "2", "99999999999")}, body="query"),
    Endpoint("/staff/preferences/language", "POST", "/staff/preferences/language", "admin",
             {"language": _values("ar", "nb", "so"), "next": _values("/staff/invitations", "//evil.example", "/x")},
             changes=frozenset({"staff", "audit_events"})),
    Endpoint("/staff/api/preferences", "POST", "/staff/api/preferences", "admin",
             {"knockSound": _values(True, False)}, body="json", changes=frozenset({"staff"})),
    Endpoint("/staff/clinic", "POST", "/staff/clinic", "admin",
             {"display_name": _values("Nordby legekontor"), "phone": _values("22 33 44 55", "+4722334455"),
              "time_zone": _values("Europe/Oslo", "Arctic/Longyearbyen"), "sms_sender": _values("Nordby", ""),
              "default_duration": _values("20", "30"),
              "emergency_url": _values("https://intranett.example/rutine", "")},
             changes=frozenset({"clinics", "audit_events"})),
    Endpoint("/staff/invitations/<int:invitation_id>/edit", "POST", "/staff/invitations/{invitation}/edit", "admin",
             INVITATION_FIELDS, changes=frozenset({"invitations", "audit_events"})),
    Endpoint("/staff/invitations/<int:invitation_id>/sms", "POST", "/staff/invitations/{invitation}/sms", "admin",
             {"phone": _values("91234567", "+47 912 34 567"), "token": _values("{token}")},
             changes=frozenset({"audit_events", "outbox"})),
    Endpoint("/staff/invitations/<int:invitation_id>/letter", "POST", "/staff/invitations/{invitation}/letter",
             "admin", {"token": _values("{token}")}),
    # Both end the knock waiting or let in.
    Endpoint("/staff/invitations/<int:invitation_id>/revoke", "POST", "/staff/invitations/{invitation}/revoke",
             "admin", changes=frozenset({"invitations", "knocks", "audit_events"})),
    Endpoint("/staff/invitations/<int:invitation_id>/new-link", "POST", "/staff/invitations/{invitation}/new-link",
             "admin", changes=frozenset({"invitations", "invitation_links", "knocks", "audit_events"})),
    Endpoint("/staff/invitations/<int:invitation_id>/another-link", "POST",
             "/staff/invitations/{invitation}/another-link", "admin",
             changes=frozenset({"invitations", "invitation_links", "audit_events"})),
    Endpoint("/staff/invitations/<int:invitation_id>/participants", "POST",
             "/staff/invitations/{invitation}/participants", "admin",
             {"role": _values("relative", "interpreter", "health-worker"), "language": _values("nb", "so", "ur"),
              "label": _values("", "Tolk 1"), "call_name": _values("", "Tolk Amina")},
             changes=frozenset({"invitations", "invitation_links", "audit_events"})),
    Endpoint("/staff/invitations/<int:invitation_id>/remove", "POST", "/staff/invitations/{participant}/remove",
             "admin", changes=frozenset({"invitations", "knocks", "audit_events"})),
    Endpoint("/staff/rooms", "POST", "/staff/rooms", "admin",
             {"provider": _values("pexip", "whereby", "template"), "key": _values("wb", "room-2"),
              "label": _values("Rom"), "node": _values("join.nhn.no"), "alias": _values("654321"),
              "subdomain": _values("nordby"), "room": _values("venterom"), "autolock": _values("y", ""),
              "template": _values("https://join.nhn.no/{name}", "http://localhost:5000/{lang}")},
             changes=frozenset({"clinics", "audit_events"})),
    Endpoint("/staff/rooms/<key>/delete", "POST", "/staff/rooms/{room}/delete", "admin",
             changes=frozenset({"clinics", "audit_events"})),
    Endpoint("/staff/team", "POST", "/staff/team", "admin",
             {"email": _values("ola@example.no"), "display_name": _values("Ola"), "role": _values("staff", "admin"),
              "language": _values("nb", "so")}, changes=frozenset({"staff", "enrolments", "audit_events"})),
    Endpoint("/staff/team/<int:staff_id>/disable", "POST", "/staff/team/{colleague}/disable", "admin",
             changes=frozenset({"staff", "staff_sessions", "audit_events"})),
    Endpoint("/staff/team/<int:staff_id>/link", "POST", "/staff/team/{colleague}/link", "admin",
             changes=frozenset({"enrolments", "audit_events"})),
    Endpoint("/staff/passkeys/<int:passkey_id>/delete", "POST", "/staff/passkeys/{passkey}/delete", "admin",
             changes=frozenset({"passkeys", "audit_events"})),
    Endpoint("/staff/team/<int:staff_id>/enable", "POST", "/staff/team/{colleague}/enable", "admin",
             changes=frozenset({"staff", "audit_events"})),
    Endpoint("/staff/team/<int:staff_id>/passkeys", "GET", "/staff/team/{colleague}/passkeys", "admin",
             {"lang": _values("ar")}, body="query"),
    # Removing a colleague's passkey signs them out everywhere.
    Endpoint("/staff/team/<int:staff_id>/passkeys/<int:passkey_id>/delete", "POST",
             "/staff/team/{colleague}/passkeys/{colleague_passkey}/delete", "admin",
             changes=frozenset({"passkeys", "staff_sessions", "audit_events"})),
    Endpoint("/staff/website", "POST", "/staff/website", "admin",
             {"origin": _values("https://www.example.no", "https://bü.example.no:8443", "http://localhost:5101")},
             changes=frozenset({"embed_origins", "audit_events"}), refusal_may=AUDIT),
    Endpoint("/staff/website", "GET", "/staff/website", "admin",
             {"page": _values("check", "no-sound"), "preview_lang": _values("ar", "ur")}, body="query"),
    Endpoint("/staff/website/origins/<int:origin_id>/delete", "POST", "/staff/website/origins/{origin}/delete",
             "admin", changes=frozenset({"embed_origins", "audit_events"})),
    Endpoint("/staff/website/sections/<lang>", "POST", "/staff/website/sections/ar", "admin",
             {"text": _values("**Telefontid** 08–15", "", "<b>x</b>")},
             changes=frozenset({"embed_sections", "audit_events"})),
    Endpoint("/staff/api/knocks/<int:knock_id>/<action>", "POST", "/staff/api/knocks/{knock}/message", "admin",
             {"message": _values("late-5", "will-call"), "override": _values(True, False)}, body="json",
             changes=frozenset({"knocks", "audit_events"}), refusal_may=AUDIT),
    Endpoint("/staff/api/knocks/<int:knock_id>/<action>", "POST", "/staff/api/knocks/{knock}/admit", "admin",
             {"override": _values(True, False)}, body="json",
             changes=frozenset({"knocks", "invitations", "audit_events"}), refusal_may=AUDIT),
    Endpoint("/staff/api/knocks/<int:knock_id>/<action>", "POST", "/staff/api/knocks/{knock}/deny", "admin",
             body="json", changes=frozenset({"knocks", "invitations", "audit_events"}), refusal_may=AUDIT),
    Endpoint("/staff/api/knocks/<int:knock_id>/<action>", "POST", "/staff/api/knocks/{knock}/end", "admin",
             body="json", changes=frozenset({"knocks", "invitations", "audit_events"}), refusal_may=AUDIT),
    Endpoint("/staff/api/appointments/<int:invitation_id>/admit-all", "POST",
             "/staff/api/appointments/{invitation}/admit-all", "admin", {"override": _values(True, False)},
             body="json", changes=frozenset({"knocks", "invitations", "audit_events"}), refusal_may=AUDIT),
    Endpoint("/staff/logout", "POST", "/staff/logout", "admin", changes=frozenset({"staff_sessions", "audit_events"})),
    Endpoint("/staff/webauthn/register/options", "POST", "/staff/webauthn/register/options", "admin", body="json",
             changes=frozenset({"webauthn_challenges"})),
    Endpoint("/staff/webauthn/login/options", "POST", "/staff/webauthn/login/options", "anyone", body="json",
             changes=frozenset({"webauthn_challenges"})),
    Endpoint("/staff/webauthn/register/verify", "POST", "/staff/webauthn/register/verify", "admin", body="raw",
             changes=frozenset({"passkeys", "webauthn_challenges", "audit_events"}),
             refusal_may=frozenset({"webauthn_challenges", "audit_events"}), before="/staff/webauthn/register/options"),
    Endpoint("/staff/webauthn/login/verify", "POST", "/staff/webauthn/login/verify", "anyone", body="raw",
             changes=frozenset({"staff_sessions", "webauthn_challenges", "audit_events", "passkeys"}),
             refusal_may=frozenset({"webauthn_challenges", "audit_events"}), before="/staff/webauthn/login/options"),
]
# Routes that read no form, JSON or query parameter (beyond ?lang=, covered above), or read only the
# path, which the Werkzeug converters and the views' own lookups bound: listed so that a new route is
# noticed. The path-only ones get hostile path segments in test_hostile_paths.
NO_INPUT = {"/staff/", "/staff/api/dashboard", "/staff/emergency", "/staff/enrol", "/staff/login",
            "/staff/invitations/<int:invitation_id>/cancel",
            "/staff/outbox", "/staff/passkeys", "/staff/invitations/<int:invitation_id>", "/api/check/ping",
            "/healthz", "/readyz", "/visit/calendar.ics", "/visit/check", "/visit/go", "/visit/qr.svg",
            "/visit/wait", "/visit/withdrawn", "/embed/embed.js", "/static/<path:filename>", "/dev/video-room",
            "/guide/<slug>", "/i/<path:token>", "/d/<path:signed>", "/manifest-<lang>.webmanifest",
            "/offline/<lang>", "/sw-<lang>.js", "/staff/enrol/<path:token>", "/__test/boom", "/code", "/kode"}
GET_FORMS = {"/staff/invitations/new", "/staff/invitations/<int:invitation_id>/edit", "/staff/rooms", "/staff/clinic",
             "/staff/team", "/staff/website/sections/<lang>", "/visit/withdraw"}


def test_every_endpoint_is_covered(app):
    covered = {(e.rule, e.method) for e in ENDPOINTS}
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.rule, method) in covered or (method == "GET" and rule.rule in NO_INPUT | GET_FORMS):
                continue
            missing.append(f"{method} {rule.rule}")
    assert not missing, "routes without hostile-input coverage: " + ", ".join(missing)


# --- the world: a clinic, an administrator, a colleague, two patients ---------------------------

class World:
    """Built anew whenever a request was accepted (a refused one leaves everything as it was)."""

    def __init__(self, app):
        self.app = app
        self.staff_client = app.test_client()
        self.patient_client = app.test_client()
        self.anon_client = app.test_client()
        # Thousands of requests, each checked for what this test is about (status, leaks, tables).
        for client in (self.staff_client, self.patient_client, self.anon_client):
            client.check_pages = False
        self.staff_csrf = self.patient_csrf = self.anon_csrf = None
        self.ids: dict = {}
        self.dirty = True

    def ensure(self):
        if self.dirty:
            self.build()
            self.dirty = False

    def build(self):
        from patientapp import invitations, knocks, participants, staff_access
        from patientapp.models import Base, Clinic, Passkey, Staff, utcnow

        app = self.app
        now = utcnow()
        database = app.extensions["patientapp.db"]
        with database.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        with database.sessions() as db, db.begin():
            clinic = Clinic(slug="test", display_name="Nordby helsesenter", phone="+4712345678",
                            time_zone="Europe/Oslo", room_settings={"rooms": [PEXIP]})
            db.add(clinic)
            db.flush()
            admin = Staff(clinic_id=clinic.id, email="admin@example.no", display_name="Admin", role="admin",
                          user_handle=staff_access.new_user_handle())
            colleague = Staff(clinic_id=clinic.id, email="kari@example.no", display_name="Kari", role="staff",
                              user_handle=staff_access.new_user_handle())
            db.add_all([admin, colleague])
            db.flush()
            for number in (1, 2):
                db.add(Passkey(staff_id=admin.id, credential_id=bytes([number]) * 16, public_key=b"k" * 32,
                               name=f"Key {number}"))
            db.add(Passkey(staff_id=colleague.id, credential_id=b"c" * 16, public_key=b"k" * 32, name="Kari's phone"))
            staff_token = staff_access.start_session(db, admin, now)
            staff_access.start_session(db, colleague, now)
            start = now + timedelta(minutes=10)
            mine, patient_token = invitations.create_invitation(db, clinic, start, start + timedelta(minutes=30), "en",
                                                           label="AB")
            mine.room_ref = "room-1"
            other, other_token = invitations.create_invitation(db, clinic, start, start + timedelta(minutes=30), "ar",
                                                          label="CD")
            other.room_ref = "room-1"
            db.flush()
            knock = knocks.knock(db, other, knocks.CONSENT_VERSION, now, timedelta(minutes=15))
            member, _member_token = participants.add(db, other, participants.INTERPRETER, "nb", "T", now)
            db.flush()
            from patientapp.models import EmbedOrigin

            origin = EmbedOrigin(clinic_id=clinic.id, origin="https://www.nordby.example")
            db.add(origin)
            db.flush()
            self.ids = {"invitation": other.id, "token": other_token, "colleague": colleague.id, "knock": knock.id,
                        "passkey": db.scalar(select(Passkey.id).where(Passkey.staff_id == admin.id)),
                        "colleague_passkey": db.scalar(select(Passkey.id).where(Passkey.staff_id == colleague.id)),
                        "origin": origin.id, "room": "room-1", "participant": member.id}
        self.staff_client.set_cookie("__Host-staff", staff_token)
        if self.staff_csrf is None:
            self.staff_csrf = _csrf(self.staff_client.get("/staff/"))
            self.anon_csrf = _csrf(self.anon_client.get("/staff/login"))
        assert self.patient_client.get(f"/i/{patient_token}").status_code == 303
        self.patient_csrf = _csrf(self.patient_client.get("/visit/wait"))

    def client_for(self, who):
        return {"admin": (self.staff_client, self.staff_csrf), "patient": (self.patient_client, self.patient_csrf),
                "anyone": (self.anon_client, self.anon_csrf)}[who]


def _csrf(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.search(r'name="csrf-token" content="([^"]+)"', response.get_data(as_text=True)).group(1)


@pytest.fixture
def world(app):
    # A knock lapses on its own clock, not during the test; a status request is never held for long.
    app.config["STATUS_HOLD_SECONDS"] = 1
    Path(app.instance_path, "sms-outbox.jsonl").unlink(missing_ok=True)
    return World(app)


VOLATILE = {"staff_sessions": {"last_seen_at"}, "knocks": {"last_seen_at"}}


def snapshot(app) -> dict:
    """Every table, in primary-key order, without the "last seen" times any request may touch; and the outbox."""
    from patientapp.models import Base

    tables = {}
    with app.extensions["patientapp.db"].engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in VOLATILE.get(table.name, ())]
            tables[table.name] = [tuple(row) for row in conn.execute(
                select(*columns).order_by(*table.primary_key.columns))]
    outbox = Path(app.instance_path, "sms-outbox.jsonl")
    tables["outbox"] = outbox.read_bytes() if outbox.exists() else b""
    return tables


def changed_tables(before: dict, after: dict) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def only_appended(before: list, after: list) -> bool:
    return after[:len(before)] == before


# --- the hostile request --------------------------------------------------------------------------

def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return str(ids[value[1:-1]])
    return value


@st.composite
def hostile_request(draw, endpoint: Endpoint):
    """(query, form-or-json fields, raw body, content type, csrf mode) for one request."""
    fields = {}
    for name, good in endpoint.fields.items():
        choice = draw(st.sampled_from(["good", "hostile", "missing", "duplicate", "json"]))
        if choice == "good":
            fields[name] = [draw(good)]
        elif choice == "hostile":
            fields[name] = [draw(hostile_text)]
        elif choice == "duplicate":
            fields[name] = [draw(good), draw(hostile_text)]
        elif choice == "json":
            fields[name] = [draw(hostile_json)]
    # Extra fields nobody asked for, sometimes named like real ones with odd case or spacing.
    for name in draw(st.lists(st.sampled_from(["id", "clinic_id", "role", "state", "Label", " token", "__proto__",
                                               "csrf_token[]", "is_admin"]), max_size=2, unique=True)):
        fields[name] = [draw(hostile_text)]
    shape = draw(st.sampled_from(["natural", "natural", "other-type", "raw", "raw"]))
    raw = draw(st.one_of(_pick(RAW_BODIES), hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
                         hostile_json.map(lambda j: json.dumps(j).encode())))
    # Half the raw bodies claim to be JSON, so that they reach the JSON parser.
    content_type = draw(st.one_of(st.just("application/json"), st.sampled_from(CONTENT_TYPES)))
    csrf = draw(st.sampled_from(["header", "field", "header", "field", "none", "bad", "other", "both-different"]))
    return fields, shape, raw, content_type, csrf


def send(world: World, endpoint: Endpoint, request):
    fields, shape, raw, content_type, csrf_mode = request
    client, token = world.client_for(endpoint.who)
    ids = world.ids
    path = endpoint.path.format(**{k: quote(str(v), safe="") for k, v in ids.items()})
    values = {name: [_fill(v, ids) for v in vs] for name, vs in fields.items()}
    headers = dict(endpoint.headers)
    bad = "IjBhZDQ1ZjYi.aw4T6Q.bad" if csrf_mode == "bad" else None
    other = world.patient_csrf if endpoint.who != "patient" else world.staff_csrf
    csrf_value = {"header": token, "field": token, "bad": bad, "other": other, "both-different": token}.get(csrf_mode)
    if csrf_mode in ("header", "bad", "other", "both-different"):
        headers["X-CSRFToken"] = csrf_value if csrf_mode != "both-different" else other

    def as_text(v):
        return v if isinstance(v, str) else json.dumps(v)

    if endpoint.body == "query" or endpoint.method == "GET":
        query = [(k, as_text(v)) for k, vs in values.items() for v in vs]
        return client.get(path, query_string=query, headers=headers)
    if endpoint.before:
        client.post(endpoint.before, json={}, headers={"X-CSRFToken": token})
    form = [(k, as_text(v)) for k, vs in values.items() for v in vs]
    if csrf_mode in ("field", "both-different"):
        form.append(("csrf_token", token))
    natural = endpoint.body
    if shape == "other-type":
        natural = "json" if natural == "form" else "form"
    if shape == "raw" or natural == "raw":
        if natural == "raw" and shape != "raw":
            raw = json.dumps(_credential(values)).encode()
            content_type = "application/json"
        return client.open(path, method=endpoint.method, data=raw, content_type=content_type or None,
                           headers=headers)
    if natural == "json":
        body = {k: (vs[0] if len(vs) == 1 else vs) for k, vs in values.items()}
        if csrf_mode in ("field", "both-different"):
            body["csrf_token"] = token
        return client.open(path, method=endpoint.method, json=body, headers=headers)
    return client.open(path, method=endpoint.method, data=MultiDict(form), headers=headers,
                       content_type="application/x-www-form-urlencoded")


def _credential(values):
    """A WebAuthn credential's shape with hostile parts, so that verification itself is reached."""
    def first(name, default):
        return values.get(name, [default])[0]
    client_data = {"type": first("type", "webauthn.get"), "challenge": first("challenge", "AAAA"),
                   "origin": first("origin", "http://localhost"), "crossOrigin": first("crossOrigin", False)}
    encoded = base64.urlsafe_b64encode(json.dumps(client_data).encode()).decode().rstrip("=")
    return {"id": first("id", "AQID"), "rawId": first("rawId", "AQID"), "type": "public-key",
            "response": {"clientDataJSON": encoded, "authenticatorData": first("authenticatorData", "AAAA"),
                         "signature": first("signature", "AAAA"), "userHandle": first("userHandle", None),
                         "attestationObject": first("attestationObject", "o2NmbXRkbm9uZQ")},
            "clientExtensionResults": first("clientExtensionResults", {})}


CREDENTIAL_FIELDS = {name: hostile_json for name in ("id", "rawId", "challenge", "origin", "type", "crossOrigin",
                                                      "userHandle", "authenticatorData", "signature",
                                                      "attestationObject", "clientExtensionResults")}
for _endpoint in ENDPOINTS:
    if _endpoint.body == "raw":
        _endpoint.fields = CREDENTIAL_FIELDS


def check(world: World, endpoint: Endpoint, request):
    world.ensure()
    before = snapshot(world.app)
    response = send(world, endpoint, request)
    after = snapshot(world.app)
    body = response.get_data().decode("utf-8", "replace")
    assert response.status_code < 500, (response.status_code, body[:300])
    assert not LEAKS.search(body), body[:500]
    changed = changed_tables(before, after)
    if response.status_code >= 400:
        assert changed <= endpoint.refusal_may, f"{response.status_code} but changed {sorted(changed)}"
        if "audit_events" in changed:
            assert only_appended(before["audit_events"], after["audit_events"])
    else:
        assert changed <= endpoint.changes, f"{response.status_code} but changed {sorted(changed)}"
        # An accepted request may have used up the scene (a withdrawal, a revoked link, a new session cookie);
        # one that wrote nothing and set no cookie left it as it was, and the next example may reuse it.
        world.dirty = world.dirty or bool(changed) or "Set-Cookie" in response.headers


def _id(endpoint: Endpoint) -> str:
    return repr(endpoint)


# Every endpoint meets 30 hostile requests on SQLite. On PostgreSQL, where only the database's side
# differs (its transactions, types and constraints), 6 of the same reproducible kind: the suite
# must stay under ten minutes on two cores, and this test was its largest part.
EXAMPLES = {"sqlite": 30, "postgresql": 6}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_id)
def test_hostile_input(world, endpoint, backend):
    @settings(settings.get_profile("hostile"), max_examples=EXAMPLES[backend])
    @given(data=st.data())
    def attack(data):
        check(world, endpoint, data.draw(hostile_request(endpoint)))

    attack()


PATH_ROUTES = ["/guide/{}", "/i/{}", "/d/{}", "/manifest-{}.webmanifest", "/offline/{}", "/sw-{}.js",
               "/staff/enrol/{}", "/embed/{}/", "/embed/test/{}/", "/embed/test/nb/guide/{}",
               "/staff/website/sections/{}", "/staff/invitations/{}", "/static/{}"]


@settings(settings.get_profile("hostile"), max_examples=60)
@given(data=st.data())
def test_hostile_paths(world, data):
    """Hostile path segments on the routes that read only their path; GET, so nothing may change."""
    world.ensure()
    route = data.draw(st.sampled_from(PATH_ROUTES))
    segment = quote(data.draw(hostile_text).encode("utf-8", "surrogatepass"), safe="")
    who = data.draw(st.sampled_from(["admin", "patient", "anyone"]))
    client, _token = world.client_for(who)
    before = snapshot(world.app)
    response = client.get(route.format(segment or "%00"))
    body = response.get_data().decode("utf-8", "replace")
    assert response.status_code < 500, (route, segment, response.status_code)
    assert not LEAKS.search(body), body[:500]
    changed = changed_tables(before, snapshot(world.app))
    if response.status_code >= 400:
        assert not changed, changed
    else:
        # Opening a link marks the invitation opened; nothing else is written by a GET.
        assert changed <= {"invitations"}, changed
        world.dirty = world.dirty or bool(changed) or "Set-Cookie" in response.headers


# --- what the hostile runs found, as plain regression tests ---------------------------------------

def test_a_registration_credential_without_an_id_is_refused_not_a_500(world):
    """py_webauthn raises its own InvalidJSONStructure for a credential without an id (found by Hypothesis)."""
    world.ensure()
    staff, token = world.client_for("admin")
    assert staff.post("/staff/webauthn/register/options", json={}, headers={"X-CSRFToken": token}).status_code == 200
    credential = _credential({"id": [None], "rawId": [None]})
    before = snapshot(world.app)
    response = staff.post("/staff/webauthn/register/verify?lang=en", json=credential, headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert response.get_json() == {"error": "failed",
                                   "message": "Sign-in did not work. Try again, or ask your administrator."}
    assert changed_tables(before, snapshot(world.app)) == {"webauthn_challenges", "audit_events"}


DEEP = b"[" * 30_000 + b"]" * 30_000


@pytest.mark.parametrize("who, path", [("patient", "/api/visit/check"), ("patient", "/api/visit/knock"),
                                       ("anyone", "/csp-report"), ("admin", "/staff/api/knocks/{knock}/message"),
                                       ("admin", "/staff/webauthn/register/verify"),
                                       ("anyone", "/staff/webauthn/login/verify")])
def test_json_nested_too_deep_is_bad_input(world, who, path):
    """Python's parser gives up with a RecursionError, which was a 500 (found by Hypothesis)."""
    world.ensure()
    client, token = world.client_for(who)
    before = snapshot(world.app)
    response = client.post(path.format(**world.ids), data=DEEP, content_type="application/json",
                           headers={"X-CSRFToken": token})
    # CSP reports are accepted and dropped whatever they hold; everything else says bad input.
    assert response.status_code == (204 if path == "/csp-report" else 400), response.status_code
    assert changed_tables(before, snapshot(world.app)) <= {"audit_events"}


@pytest.mark.parametrize("body", [{"date": None, "time": "10:00", "duration": "30", "language": "nb", "room": "room-1"},
                                  {"date": "2030-01-15", "time": "10:00", "duration": 30, "language": "nb",
                                   "label": {"a": 1}, "room": "room-1"}, [1, 2]])
def test_a_workspace_form_posted_as_json_is_refused(world, body):
    """Flask-WTF took a JSON body as form data, and null or an object in it was a 500 (found by Hypothesis)."""
    world.ensure()
    staff, token = world.client_for("admin")
    before = snapshot(world.app)
    response = staff.post("/staff/invitations/new?lang=en", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 422
    assert "Choose a date." in response.get_data(as_text=True)
    assert changed_tables(before, snapshot(world.app)) == set()


def test_a_knock_action_with_a_list_for_options_is_no_options(world):
    world.ensure()
    staff, token = world.client_for("admin")
    response = staff.post(f"/staff/api/knocks/{world.ids['knock']}/message", json=["late-5"],
                          headers={"X-CSRFToken": token})
    assert response.status_code == 400 and response.get_json()["error"] == "message"
