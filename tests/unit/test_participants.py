"""The participants' rules (participants.py): who may join, what follows the patient's appointment,
and what a participant's page is told when it ends, on each database backend."""
from datetime import UTC, datetime, timedelta

import pytest

from patientapp import invitations, knocks, participants
from patientapp.models import Clinic, Staff

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
WINDOW = invitations.Window(grace=timedelta(hours=2))
LAPSE = timedelta(minutes=15)


def _appointment(db, room="r1"):
    clinic = Clinic(slug="c", display_name="Nordby", phone="+4712345678", time_zone="Europe/Oslo",
                    room_settings={})
    db.add(clinic)
    patient, _token = invitations.create_invitation(db, clinic, NOW + timedelta(minutes=10),
                                                    NOW + timedelta(minutes=40), "so", label="KN", room_ref=room)
    return patient


def test_a_participant_joins_with_the_appointments_time_and_room_and_their_own_language(db):
    patient = _appointment(db)
    member, token = participants.add(db, patient, participants.INTERPRETER, "nb", "T", NOW,
                                     call_name="  Tolk \n Amina ")
    db.commit()
    assert (member.starts_at, member.ends_at, member.room_ref) == (patient.starts_at, patient.ends_at, "r1")
    assert (member.role, member.party_id, member.language, member.call_name) == ("interpreter", patient.id, "nb",
                                                                                 "Tolk Amina")
    assert invitations.find_by_token(db, token).id == member.id
    assert participants.patient_of(member) is patient and participants.patient_of(patient) is patient
    assert participants.live_party(patient) == [member]


@pytest.mark.parametrize("role, label, call_name", [
    ("patient", None, None), ("doctor", None, None), ("relative", "0101901234 5", None),
    ("relative", None, "x" * 41), ("relative", None, "01019012345"), ("relative", "x" * 21, None)])
def test_what_cannot_join(db, role, label, call_name):
    patient = _appointment(db)
    with pytest.raises(invitations.InvalidInvitation):
        participants.add(db, patient, role, "nb", label, NOW, call_name=call_name)


def test_nobody_joins_a_participant_a_finished_appointment_or_a_full_one(db):
    patient = _appointment(db)
    member, _ = participants.add(db, patient, participants.RELATIVE, "nb", None, NOW)
    with pytest.raises(invitations.InvalidInvitation):
        participants.add(db, member, participants.RELATIVE, "nb", None, NOW)
    for _ in range(participants.MAX_PARTICIPANTS - 1):
        participants.add(db, patient, participants.RELATIVE, "nb", None, NOW)
    with pytest.raises(participants.TooMany):
        participants.add(db, patient, participants.RELATIVE, "nb", None, NOW)
    # A removed participant no longer counts: someone else can come in their place.
    participants.remove(db, member, NOW)
    participants.add(db, patient, participants.RELATIVE, "nb", None, NOW)
    invitations.cancel(db, patient, NOW)
    with pytest.raises(invitations.InvalidTransition):
        participants.add(db, patient, participants.RELATIVE, "nb", None, NOW)


def test_staff_actions_are_split_between_the_patient_and_a_participant(db):
    patient = _appointment(db)
    member, _ = participants.add(db, patient, participants.RELATIVE, "nb", None, NOW)
    assert {a for a in invitations.STAFF_ACTIONS if invitations.allowed(patient, a)} == {
        "reschedule", "another-link", "replace-link", "cancel", "add-participant"}
    assert {a for a in invitations.STAFF_ACTIONS if invitations.allowed(member, a)} == {
        "another-link", "replace-link", "remove"}
    with pytest.raises(invitations.InvalidTransition):
        participants.remove(db, patient, NOW)


def test_moving_the_appointment_moves_the_participants_not_the_removed_ones(db):
    patient = _appointment(db)
    staying, _ = participants.add(db, patient, participants.RELATIVE, "nb", None, NOW)
    leaving, _ = participants.add(db, patient, participants.INTERPRETER, "nb", None, NOW)
    participants.remove(db, leaving, NOW)
    later = NOW + timedelta(days=1)
    invitations.reschedule(patient, later, later + timedelta(minutes=20), "so", "KN", "r2", NOW)
    assert (staying.starts_at, staying.ends_at, staying.room_ref) == (later, later + timedelta(minutes=20), "r2")
    assert leaving.starts_at == NOW + timedelta(minutes=10) and leaving.state == "cancelled"


@pytest.mark.parametrize("how", ["withdraw", "cancel"])
def test_the_appointment_ends_for_everyone_and_their_pages_say_cancelled(db, how):
    patient = _appointment(db)
    waiting, _ = participants.add(db, patient, participants.INTERPRETER, "nb", None, NOW)
    done, _ = participants.add(db, patient, participants.RELATIVE, "nb", None, NOW)
    knock = knocks.knock(db, waiting, knocks.CONSENT_VERSION, NOW, LAPSE)
    done.state = invitations.COMPLETED
    db.flush()
    if how == "withdraw":
        knocks.withdraw(db, patient, NOW)
    else:
        invitations.cancel(db, patient, NOW)
    assert waiting.state == "cancelled" and knock.state == knocks.DENIED
    assert done.state == "completed"  # nothing to end
    assert participants.cancelled_for(waiting, WINDOW, NOW)
    assert not participants.cancelled_for(waiting, WINDOW, patient.ends_at + timedelta(hours=3))
    assert not participants.cancelled_for(patient, WINDOW, NOW)


def test_a_removed_participant_is_not_told_cancelled_and_cannot_withdraw_anyone(db):
    patient = _appointment(db)
    member, _ = participants.add(db, patient, participants.RELATIVE, "nb", None, NOW)
    with pytest.raises(knocks.Refused):
        knocks.withdraw(db, member, NOW)
    assert patient.state == "scheduled" and member.state == "scheduled"
    participants.remove(db, member, NOW)
    assert member.state == "cancelled" and not participants.cancelled_for(member, WINDOW, NOW)


def test_let_everyone_in_and_the_room_is_shared_within_one_appointment(db):
    patient = _appointment(db)
    staff = Staff(clinic=patient.clinic, email="k@example.no", display_name="K", user_handle=b"h" * 16)
    db.add(staff)
    member, _ = participants.add(db, patient, participants.INTERPRETER, "nb", None, NOW)
    other = invitations.create_invitation(db, patient.clinic, patient.starts_at, patient.ends_at, "nb",
                                          room_ref="r1")[0]
    db.flush()
    with pytest.raises(knocks.Refused):
        knocks.admit_all(db, patient, staff, NOW)  # nobody knocking
    for invitation in (patient, member, other):
        knocks.knock(db, invitation, knocks.CONSENT_VERSION, NOW, LAPSE)
    db.flush()
    assert knocks.admit_all(db, patient, staff, NOW) == 2
    assert {patient.state, member.state} == {"admitted"} and other.state == "knocking"
    assert not knocks.room_busy(db, member) and knocks.room_busy(db, other)
    knocks.end_appointment(db, knocks.latest_knock(db, patient), NOW)
    db.flush()
    assert {patient.state, member.state} == {"completed"} and not knocks.room_busy(db, other)
