"""Passkey options, challenges, enrolment and sessions (R16, R17, R20, R21, R26), on each backend."""
import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from patientapp import staff_access
from patientapp.models import Challenge, Clinic, Passkey, Staff

UTC = UTC
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RP = staff_access.RelyingParty.from_base_url("http://localhost:5000", "patientapp")


def b64decode(value):
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@pytest.fixture
def staff(db):
    clinic = Clinic(slug="c", display_name="Nordby", phone="+4712345678", time_zone="Europe/Oslo", room_settings={})
    person = Staff(clinic=clinic, email="kari@example.no", display_name="Kari", role="admin",
                   user_handle=staff_access.new_user_handle())
    db.add_all([clinic, person])
    db.flush()
    return person


def test_relying_party_comes_from_configuration():
    assert (RP.id, RP.origin) == ("localhost", "http://localhost:5000")
    rp = staff_access.RelyingParty.from_base_url("https://video.example.no", "x")
    assert (rp.id, rp.origin) == ("video.example.no", "https://video.example.no")


def test_registration_options_follow_r16(db, staff):
    db.add(Passkey(staff=staff, credential_id=b"existing-credential", public_key=b"k", sign_count=0, name="x"))
    db.flush()
    options = json.loads(staff_access.registration_options(db, staff, "flow-1", RP, NOW))
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["attestation"] == "none"
    user_id = b64decode(options["user"]["id"])
    assert len(user_id) == 64 and user_id == staff.user_handle and b"kari" not in user_id
    assert [c["id"] for c in options["excludeCredentials"]] == [staff_access.b64(b"existing-credential")]
    assert len(b64decode(options["challenge"])) == 64


def test_login_options_are_discoverable_with_user_verification(db):
    options = json.loads(staff_access.authentication_options(db, "flow-2", RP, NOW))
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"


def test_challenges_are_single_use_and_expire(db, staff):
    staff_access.authentication_options(db, "flow-3", RP, NOW)
    db.flush()
    with pytest.raises(staff_access.AuthError) as first:
        staff_access.verify_authentication(db, "flow-3", "{}", RP, NOW)
    assert first.value.reason == "malformed"
    with pytest.raises(staff_access.AuthError) as second:
        staff_access.verify_authentication(db, "flow-3", "{}", RP, NOW)
    assert second.value.reason == "no-challenge"  # deleted on the first attempt, whatever its outcome
    staff_access.authentication_options(db, "flow-4", RP, NOW)
    db.flush()
    with pytest.raises(staff_access.AuthError) as late:
        staff_access.verify_authentication(db, "flow-4", "{}", RP, NOW + timedelta(minutes=5, seconds=1))
    assert late.value.reason == "challenge-expired"
    assert db.query(Challenge).count() == 0


def _assertion(client_data: dict, raw_id: bytes, user_handle: bytes | None) -> str:
    return json.dumps({"id": staff_access.b64(raw_id), "rawId": staff_access.b64(raw_id), "type": "public-key",
                       "response": {"clientDataJSON": staff_access.b64(json.dumps(client_data).encode()),
                                    "authenticatorData": "AA", "signature": "AA",
                                    "userHandle": staff_access.b64(user_handle) if user_handle else None}})


def test_cross_origin_assertions_are_refused(db, staff):
    staff_access.authentication_options(db, "flow-5", RP, NOW)
    db.flush()
    data = {"type": "webauthn.get", "challenge": "x", "origin": "http://localhost:5000", "crossOrigin": True}
    with pytest.raises(staff_access.AuthError) as refused:
        staff_access.verify_authentication(db, "flow-5", _assertion(data, b"cred", staff.user_handle), RP, NOW)
    assert refused.value.reason == "cross-origin"


def test_unknown_credential_and_foreign_user_handle_fail_alike(db, staff):
    other = Staff(clinic=staff.clinic, email="ola@example.no", display_name="Ola", role="staff",
                  user_handle=staff_access.new_user_handle())
    db.add_all([other, Passkey(staff=staff, credential_id=b"kari-cred", public_key=b"k", sign_count=0, name="x")])
    db.flush()
    data = {"type": "webauthn.get", "challenge": "x", "origin": "http://localhost:5000"}
    reasons = []
    for raw_id, handle in ((b"nobody", staff.user_handle), (b"kari-cred", other.user_handle)):
        staff_access.authentication_options(db, "flow-6", RP, NOW)
        db.flush()
        with pytest.raises(staff_access.AuthError) as failed:
            staff_access.verify_authentication(db, "flow-6", _assertion(data, raw_id, handle), RP, NOW)
        reasons.append(failed.value.reason)
    assert reasons == ["unknown-credential", "user-handle-mismatch"]


def test_enrolment_links_are_single_use_and_expire(db, staff):
    token = staff_access.new_enrolment(db, staff, NOW)
    db.flush()
    assert len(b64decode(token)) >= 16
    enrolment = staff_access.find_enrolment(db, token, NOW + timedelta(minutes=59))
    assert enrolment is not None
    assert staff_access.find_enrolment(db, token, NOW + timedelta(minutes=61)) is None
    enrolment.used_at = NOW
    assert staff_access.find_enrolment(db, token, NOW) is None
    assert staff_access.find_enrolment(db, "wrong", NOW) is None


def test_sessions_time_out_idle_and_absolute_and_die_with_the_user(db, staff):
    token = staff_access.start_session(db, staff, NOW)
    db.commit()
    assert staff_access.load_session(db, token, NOW + timedelta(minutes=29)) is not None
    assert staff_access.load_session(db, token, NOW + timedelta(minutes=29) + timedelta(minutes=31)) is None
    active = staff_access.start_session(db, staff, NOW)
    db.commit()
    moment = NOW
    while moment < NOW + timedelta(hours=12):
        moment += timedelta(minutes=20)
        record = staff_access.load_session(db, active, moment)
        if moment <= NOW + timedelta(hours=12):
            assert record is not None, moment
    assert staff_access.load_session(db, active, NOW + timedelta(hours=12, minutes=1)) is None
    third = staff_access.start_session(db, staff, NOW)
    db.commit()
    staff_access.end_all_sessions(db, staff.id)
    db.commit()
    assert staff_access.load_session(db, third, NOW) is None
    assert staff_access.start_session(db, staff, NOW) != staff_access.start_session(db, staff, NOW)
