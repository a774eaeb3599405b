"""The invitation's rules that the outside review found missing: every (state, action) pair goes through
the domain module, appointments lie between today and the horizon, and clock changes are named (R3, R65)."""
from datetime import UTC, date, datetime, time, timedelta

import pytest

from patientapp import invitations, knocks
from patientapp.models import Clinic, Invitation, Knock, Staff

UTC = UTC
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LAPSE = timedelta(minutes=15)
ACTIONS = ("reschedule", "another-link", "replace-link", "cancel", "knock", "admit", "complete", "withdraw")
# What each action does from each state; absent: refused, with nothing changed.
EXPECTED = {
    ("reschedule", invitations.SCHEDULED): invitations.SCHEDULED,
    ("reschedule", invitations.OPENED): invitations.OPENED,
    ("reschedule", invitations.KNOCKING): invitations.KNOCKING,
    ("reschedule", invitations.ADMITTED): invitations.ADMITTED,
    ("another-link", invitations.SCHEDULED): invitations.SCHEDULED,
    ("another-link", invitations.OPENED): invitations.OPENED,
    ("another-link", invitations.KNOCKING): invitations.KNOCKING,
    ("another-link", invitations.ADMITTED): invitations.ADMITTED,
    ("replace-link", invitations.SCHEDULED): invitations.SCHEDULED,
    ("replace-link", invitations.OPENED): invitations.OPENED,
    ("replace-link", invitations.KNOCKING): invitations.OPENED,
    ("replace-link", invitations.ADMITTED): invitations.OPENED,
    ("cancel", invitations.SCHEDULED): invitations.CANCELLED, ("cancel", invitations.OPENED): invitations.CANCELLED,
    ("cancel", invitations.KNOCKING): invitations.CANCELLED, ("cancel", invitations.ADMITTED): invitations.CANCELLED,
    ("knock", invitations.SCHEDULED): invitations.KNOCKING, ("knock", invitations.OPENED): invitations.KNOCKING,
    ("knock", invitations.KNOCKING): invitations.KNOCKING, ("knock", invitations.ADMITTED): invitations.ADMITTED,
    ("admit", invitations.KNOCKING): invitations.ADMITTED,
    ("complete", invitations.ADMITTED): invitations.COMPLETED,
    ("withdraw", invitations.SCHEDULED): invitations.WITHDRAWN, ("withdraw", invitations.OPENED): invitations.WITHDRAWN,
    ("withdraw", invitations.KNOCKING): invitations.WITHDRAWN,
    ("withdraw", invitations.ADMITTED): invitations.WITHDRAWN,
    ("withdraw", invitations.COMPLETED): None, ("withdraw", invitations.WITHDRAWN): invitations.WITHDRAWN,
}


@pytest.fixture
def scene(db):
    clinic = Clinic(slug="c", display_name="Nordby", phone="+4712345678", time_zone="Europe/Oslo",
                    room_settings={})
    staff = Staff(clinic=clinic, email="a@b.no", display_name="A", role="admin", user_handle=b"x" * 64)
    db.add_all([clinic, staff])
    db.flush()
    return db, clinic, staff


def _in_state(db, clinic, state: str) -> Invitation:
    """An invitation in `state`, with the knock that state implies."""
    start = NOW + timedelta(minutes=10)
    invitation, _ = invitations.create_invitation(db, clinic, start, start + timedelta(minutes=30), "nb")
    invitation.state = state
    knock_state = {invitations.KNOCKING: knocks.WAITING, invitations.ADMITTED: knocks.ADMITTED}.get(state)
    if knock_state:
        db.add(Knock(invitation=invitation, state=knock_state, consent_version=knocks.CONSENT_VERSION,
                     created_at=NOW, last_seen_at=NOW, lapses_at=NOW + LAPSE, admitted_at=NOW,
                     handoff_expires_at=NOW + knocks.HANDOFF_TTL))
    db.flush()
    return invitation


def _do(db, staff, invitation: Invitation, action: str) -> None:
    start = NOW + timedelta(days=1)
    if action == "reschedule":
        invitations.reschedule(invitation, start, start + timedelta(minutes=30), "ar", "AB", None, NOW)
    elif action == "replace-link":
        invitations.replace_link(db, invitation, NOW)
    elif action == "another-link":
        invitations.another_link(invitation, NOW)
    elif action == "cancel":
        invitations.cancel(db, invitation, NOW)
    elif action == "knock":
        knocks.knock(db, invitation, knocks.CONSENT_VERSION, NOW, LAPSE)
    elif action in ("admit", "complete"):
        knock = knocks.latest_knock(db, invitation)
        if knock is None:
            raise knocks.Refused("no knock")  # staff act on a knock: without one there is no button
        if action == "admit":
            knocks.admit(db, knock, staff, NOW)
        else:
            knocks.end(knock, NOW)
    elif action == "withdraw":
        knocks.withdraw(db, invitation, NOW)


@pytest.mark.parametrize("state", invitations.STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_state_and_action(scene, state, action):
    """The review found a completed or withdrawn invitation could be cancelled: no pair may slip past."""
    db, clinic, staff = scene
    invitation = _in_state(db, clinic, state)
    expected = EXPECTED.get((action, state))
    links_of = lambda: sorted(link.token_hash for link in invitation.link_tokens)  # noqa: E731
    before = (invitation.state, links_of(), invitation.starts_at, invitation.link_generation)
    refusals = (invitations.InvalidTransition, knocks.Refused)
    if expected is None:
        with pytest.raises(refusals):
            _do(db, staff, invitation, action)
        assert (invitation.state, links_of(), invitation.starts_at, invitation.link_generation) == before
    else:
        _do(db, staff, invitation, action)
        assert invitation.state == expected


# A participant joins an appointment still ahead or under way (participants.py); the patient is never
# "removed" from their own appointment (the clinic cancels it instead).
EXPECTED.update({("add-participant", state): state for state in invitations.LIVE_STATES})


def test_staff_actions_offered_match_the_rules(scene):
    db, clinic, _ = scene
    for state in invitations.STATES:
        invitation = _in_state(db, clinic, state)
        for action in invitations.STAFF_ACTIONS:
            assert invitations.allowed(invitation, action) == ((action, state) in EXPECTED), (action, state)


def test_cancel_and_replace_end_the_active_knock(scene):
    db, clinic, staff = scene
    admitted = _in_state(db, clinic, invitations.ADMITTED)
    invitations.cancel(db, admitted, NOW)
    assert knocks.latest_knock(db, admitted).state == knocks.ENDED  # the room is free again
    knocking = _in_state(db, clinic, invitations.KNOCKING)
    old_hashes = {link.token_hash for link in knocking.link_tokens}
    token = invitations.replace_link(db, knocking, NOW)
    assert knocks.latest_knock(db, knocking).state == knocks.DENIED
    assert knocking.link_generation == 2 and not old_hashes & {link.token_hash for link in knocking.link_tokens}
    assert invitations.find_by_token(db, token) is knocking


def test_another_link_keeps_the_first_and_replacing_ends_both(scene):
    db, clinic, _ = scene
    invitation, first = invitations.create_invitation(db, clinic, NOW, NOW + timedelta(minutes=30), "nb")
    second = invitations.another_link(invitation, NOW)
    db.flush()
    assert first != second and invitation.link_generation == 1
    assert invitations.find_by_token(db, first) is invitation and invitations.find_by_token(db, second) is invitation
    assert invitations.has_link(invitation, first) and invitations.has_link(invitation, second)
    third = invitations.replace_link(db, invitation, NOW)
    db.flush()
    assert invitations.find_by_token(db, first) is None and invitations.find_by_token(db, second) is None
    assert invitations.find_by_token(db, third) is invitation and not invitations.has_link(invitation, first)


def test_another_link_stops_at_the_most_links(scene):
    db, clinic, _ = scene
    invitation, _ = invitations.create_invitation(db, clinic, NOW, NOW + timedelta(minutes=30), "nb")
    for _ in range(invitations.MAX_LINKS - 1):
        invitations.another_link(invitation, NOW)
    with pytest.raises(invitations.TooManyLinks):
        invitations.another_link(invitation, NOW)
    assert len(invitation.link_tokens) == invitations.MAX_LINKS


@pytest.mark.parametrize("day, reason", [
    (date(2026, 11, 22), "past"), (date(1, 1, 1), "past"), (date(9999, 12, 31), "too-far"),
    (date(9000, 1, 1), "too-far"), (date(2027, 11, 24), "too-far"),
])
def test_days_outside_today_and_the_horizon_are_refused(day, reason):
    with pytest.raises(invitations.OutOfRange) as refused:
        invitations.check_day(day, "Europe/Oslo", NOW)
    assert refused.value.reason == reason


def test_days_inside_the_horizon_are_taken():
    invitations.check_day(date(2026, 11, 23), "Europe/Oslo", NOW)
    invitations.check_day(date(2027, 11, 23), "Europe/Oslo", NOW)
    invitations.check_day(date(2026, 12, 23), "Europe/Oslo", NOW, timedelta(days=30))
    with pytest.raises(invitations.OutOfRange):
        invitations.check_day(date(2026, 12, 24), "Europe/Oslo", NOW, timedelta(days=30))


def test_an_appointment_that_has_ended_is_refused():
    start = NOW - timedelta(hours=1)
    with pytest.raises(invitations.OutOfRange) as refused:
        invitations.check_schedule(start, start + timedelta(minutes=30), "Europe/Oslo", NOW)
    assert refused.value.reason == "ended"


def test_a_time_the_clocks_skip_is_refused_with_its_span():
    with pytest.raises(invitations.AmbiguousLocalTime) as refused:
        invitations.local_to_utc(date(2027, 3, 28), time(2, 30), "Europe/Oslo")
    assert refused.value.kind == "gap"
    assert (refused.value.start, refused.value.end) == (datetime(2027, 3, 28, 2, 0), datetime(2027, 3, 28, 3, 0))


def test_a_time_the_clocks_show_twice_is_refused_with_its_span():
    with pytest.raises(invitations.AmbiguousLocalTime) as refused:
        invitations.local_to_utc(date(2027, 10, 31), time(2, 30), "Europe/Oslo")
    assert refused.value.kind == "repeated"
    assert (refused.value.start, refused.value.end) == (datetime(2027, 10, 31, 2, 0), datetime(2027, 10, 31, 3, 0))


@pytest.mark.parametrize("day, at, utc", [
    (date(2027, 3, 28), time(1, 59), datetime(2027, 3, 28, 0, 59, tzinfo=UTC)),
    (date(2027, 3, 28), time(3, 0), datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
    (date(2027, 10, 31), time(1, 59), datetime(2027, 10, 30, 23, 59, tzinfo=UTC)),
    (date(2027, 10, 31), time(3, 0), datetime(2027, 10, 31, 2, 0, tzinfo=UTC)),
    (date(2026, 12, 3), time(14, 30), datetime(2026, 12, 3, 13, 30, tzinfo=UTC)),
])
def test_times_around_the_clock_changes_are_exact(day, at, utc):
    assert invitations.local_to_utc(day, at, "Europe/Oslo") == utc


@pytest.mark.parametrize("label", [
    "01019012345", "010190 12345", "010190-12345", "01.01.90 12345", "0101901234 5", "01 01 90 123 45",
    "410190-12345", "x 01019012345 y", "٠١٠١٩٠١٢٣٤٥", "010190\u201312345",
])
def test_national_id_numbers_are_found_however_they_are_written(label):
    """The review: "010190-12345", "01.01.90 12345" and "0101901234 5" passed the guard (R52)."""
    assert invitations.looks_like_national_id(label)


@pytest.mark.parametrize("label", ["AB 12", "KN", "Rom 3 kl 14:30", "ref 2026-12-03", "1234567890", "A1B2C3D4E5F6",
                                   "12345 678901a"[:5], "tlf 22 33 44 55"])
def test_short_references_are_not_mistaken_for_national_id_numbers(label):
    assert not invitations.looks_like_national_id(label)


def test_a_national_id_number_never_reaches_the_database(scene):
    db, clinic, _ = scene
    start = NOW + timedelta(hours=1)
    with pytest.raises(invitations.InvalidInvitation):
        invitations.create_invitation(db, clinic, start, start + timedelta(minutes=30), "nb", label="010190 12345")
    invitation = _in_state(db, clinic, invitations.SCHEDULED)
    with pytest.raises(invitations.InvalidInvitation):
        invitations.reschedule(invitation, start, start + timedelta(minutes=30), "nb", "01.01.90-12345", None, NOW)
    assert invitation.label is None
