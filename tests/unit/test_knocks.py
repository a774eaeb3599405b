"""The waiting room's rules, on each database backend: window, consent, idempotency, lapse, admission."""
from datetime import UTC, datetime, timedelta

import pytest

from patientapp import invitations, knocks
from patientapp.models import Clinic, Invitation, Staff

UTC = UTC
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LAPSE = timedelta(minutes=15)


@pytest.fixture
def setup(db):
    clinic = Clinic(slug="c", display_name="Nordby", phone="+4712345678", time_zone="Europe/Oslo",
                    room_settings={"rooms": [{"key": "r1"}]})
    staff = Staff(clinic=clinic, email="a@b.no", display_name="A", role="admin", user_handle=b"x" * 64)
    db.add_all([clinic, staff])

    def invitation(room="r1"):
        inv, _ = invitations.create_invitation(db, clinic, START, START + timedelta(minutes=30), "nb")
        inv.room_ref = room
        invitations.open_invitation(inv, START - timedelta(hours=1))
        db.flush()
        return inv

    return db, staff, invitation


def test_knocking_opens_30_minutes_before_and_needs_consent(setup):
    db, _, make = setup
    inv = make()
    with pytest.raises(knocks.Refused) as early:
        knocks.knock(db, inv, knocks.CONSENT_VERSION, START - timedelta(minutes=31), LAPSE)
    assert early.value.status == 409
    for consent in (None, "", "old", 1):
        with pytest.raises(knocks.Refused) as missing:
            knocks.knock(db, inv, consent, START, LAPSE)
        assert missing.value.status == 400
    knock = knocks.knock(db, inv, knocks.CONSENT_VERSION, START - timedelta(minutes=30), LAPSE)
    assert knock.state == knocks.WAITING and inv.state == invitations.KNOCKING


def test_the_same_visit_is_the_same_knock(setup):
    db, _, make = setup
    inv = make()
    first = knocks.knock(db, inv, knocks.CONSENT_VERSION, START, LAPSE)
    db.flush()
    again = knocks.knock(db, inv, knocks.CONSENT_VERSION, START + timedelta(minutes=5), LAPSE)
    assert again.id == first.id and again.last_seen_at == START + timedelta(minutes=5)


def test_an_unanswered_knock_lapses_and_can_be_renewed(setup):
    db, _, make = setup
    inv = make()
    first = knocks.knock(db, inv, knocks.CONSENT_VERSION, START, LAPSE)
    db.flush()
    knocks.refresh(first, START + LAPSE - timedelta(seconds=1))
    assert first.state == knocks.WAITING
    knocks.refresh(first, START + LAPSE)
    assert first.state == knocks.LAPSED and inv.state == invitations.OPENED
    second = knocks.knock(db, inv, knocks.CONSENT_VERSION, START + LAPSE, LAPSE)
    db.flush()
    assert second.id != first.id and second.state == knocks.WAITING


def test_admission_is_single_use_and_short_lived(setup):
    db, staff, make = setup
    inv = make()
    knock = knocks.knock(db, inv, knocks.CONSENT_VERSION, START, LAPSE)
    db.flush()
    knocks.admit(db, knock, staff, START)
    assert inv.state == invitations.ADMITTED
    with pytest.raises(knocks.Refused) as replay:
        knocks.admit(db, knock, staff, START)
    assert replay.value.status == 409
    assert not knocks.take_handoff(knock, START + knocks.HANDOFF_TTL + timedelta(seconds=1), "phone")
    assert knocks.take_handoff(knock, START + timedelta(minutes=1), "phone")
    assert not knocks.take_handoff(knock, START + timedelta(minutes=2), "another-device")
    assert not knocks.take_handoff(knock, START + timedelta(minutes=2), None)
    # The browser that went may go back while the window lasts (a dropped call), not after.
    assert knocks.take_handoff(knock, START + timedelta(minutes=3), "phone")
    assert knock.handoff_used_at == START + timedelta(minutes=1)
    assert not knocks.take_handoff(knock, START + knocks.HANDOFF_TTL + timedelta(seconds=1), "phone")


def test_what_the_patient_sees_after_the_hand_off(setup):
    """The review: a patient let in once got "admitted" with no hand-off, and the page went to /visit/undefined."""
    db, staff, make = setup
    inv = make()
    knock = knocks.knock(db, inv, knocks.CONSENT_VERSION, START, LAPSE)
    db.flush()
    assert knocks.patient_state(knock, START) == "waiting"
    knocks.admit(db, knock, staff, START)
    assert knocks.patient_state(knock, START) == "admitted"
    knocks.take_handoff(knock, START, "phone")
    assert knocks.patient_state(knock, START) == "joined"
    unused = knocks.knock(db, make(), knocks.CONSENT_VERSION, START, LAPSE)
    db.flush()
    knocks.admit(db, unused, staff, START, override=True)
    assert knocks.patient_state(unused, START + knocks.HANDOFF_TTL) == "admitted"
    assert knocks.patient_state(unused, START + knocks.HANDOFF_TTL + timedelta(seconds=1)) == "joined"


def test_knocking_again_after_a_dropped_call_is_a_new_knock_the_clinic_sees(setup):
    db, staff, make = setup
    inv = make()
    first = knocks.knock(db, inv, knocks.CONSENT_VERSION, START, LAPSE)
    db.flush()
    knocks.admit(db, first, staff, START)
    # Knocking while the hand-off waits to be used is the same knock (a reload, R60).
    assert knocks.knock(db, inv, knocks.CONSENT_VERSION, START, LAPSE) is first
    knocks.take_handoff(first, START, "phone")
    later = START + timedelta(minutes=20)
    again = knocks.knock(db, inv, knocks.CONSENT_VERSION, later, LAPSE)
    db.flush()
    assert again.id != first.id and again.rejoin and again.state == knocks.WAITING
    assert first.state == knocks.ENDED and inv.state == invitations.KNOCKING
    assert not knocks.room_busy(db, make())  # the dropped call no longer holds the room
    knocks.admit(db, again, staff, later)
    assert inv.state == invitations.ADMITTED and knocks.patient_state(again, later) == "admitted"


def test_one_patient_in_a_room_at_a_time(setup):
    db, staff, make = setup
    a, b, elsewhere = make(), make(), make(room="r2")
    made = [knocks.knock(db, inv, knocks.CONSENT_VERSION, START, LAPSE) for inv in (a, b, elsewhere)]
    db.flush()
    knocks.admit(db, made[0], staff, START)
    db.flush()
    with pytest.raises(knocks.Refused) as busy:
        knocks.admit(db, made[1], staff, START)
    assert busy.value.reason == "room-busy"
    knocks.admit(db, made[2], staff, START)  # another room is free
    db.flush()
    knocks.admit(db, made[1], staff, START, override=True)
    knocks.end(made[0], START)
    assert a.state == invitations.COMPLETED


def test_deny_message_and_withdraw(setup):
    db, _, make = setup
    inv = make()
    knock = knocks.knock(db, inv, knocks.CONSENT_VERSION, START, LAPSE)
    db.flush()
    knocks.send_message(knock, "late-10", START)
    assert knock.message == "late-10"
    with pytest.raises(knocks.Refused):
        knocks.send_message(knock, "<script>", START)
    knocks.withdraw(db, inv, START)
    assert inv.state == invitations.WITHDRAWN and knock.state == knocks.WITHDRAWN and inv.withdrawn_at == START
    with pytest.raises(knocks.Refused):
        knocks.knock(db, inv, knocks.CONSENT_VERSION, START, LAPSE)
    other = make()
    knock2 = knocks.knock(db, other, knocks.CONSENT_VERSION, START, LAPSE)
    db.flush()
    knocks.deny(knock2, START)
    assert knock2.state == knocks.DENIED and other.state == invitations.OPENED


def test_cancelled_invitations_cannot_knock(setup):
    db, _, make = setup
    inv = make()
    inv.state = invitations.CANCELLED
    with pytest.raises(knocks.Refused):
        knocks.knock(db, inv, knocks.CONSENT_VERSION, START, LAPSE)
    assert isinstance(inv, Invitation)


def test_latest_knocks_in_one_query_match_latest_knock(setup):
    db, _, make = setup
    a, b, quiet = make(), make(), make()
    first = knocks.knock(db, a, knocks.CONSENT_VERSION, START, LAPSE)
    db.flush()
    knocks.refresh(first, START + LAPSE)
    knocks.knock(db, a, knocks.CONSENT_VERSION, START + LAPSE, LAPSE)  # a second, newer knock
    knocks.knock(db, b, knocks.CONSENT_VERSION, START, LAPSE)
    db.flush()
    found = knocks.latest_knocks(db, [a.id, b.id, quiet.id])
    assert set(found) == {a.id, b.id}
    for inv in (a, b):
        assert found[inv.id].id == knocks.latest_knock(db, inv).id
    assert found[a.id].id != first.id
    assert knocks.latest_knocks(db, []) == {}
