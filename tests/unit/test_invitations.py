"""The invitation's state machine and storage, on each database backend."""
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from patientapp import invitations
from patientapp.models import Base, Clinic, Invitation

UTC = UTC
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _clinic(db):
    clinic = Clinic(slug="c", display_name="Nordby", phone="+4712345678", time_zone="Europe/Oslo", room_settings={})
    db.add(clinic)
    return clinic


def test_only_the_token_hash_is_stored(db):
    clinic = _clinic(db)
    tokens = [invitations.create_invitation(db, clinic, NOW, NOW + timedelta(minutes=30), "nb")[1] for _ in range(20)]
    db.commit()
    dump = ""
    for table in Base.metadata.sorted_tables:
        for row in db.execute(table.select()):
            dump += " ".join(str(v) for v in row) + "\n"
    for token in tokens:
        assert token not in dump
        assert invitations.find_by_token(db, token) is not None


def test_schema_has_no_personal_columns(db, session_app):
    inspector = inspect(session_app.extensions["patientapp.db"].engine)
    columns = {c["name"] for c in inspector.get_columns("invitations")}
    assert columns == {"id", "ref", "clinic_id", "starts_at", "ends_at", "language", "state",
                       "label", "room_ref", "created_at", "opened_at", "updated_at", "check_summary", "checked_at",
                       "withdrawn_at", "link_generation",
                       # A participant's role and appointment, and the name the video room shows for them
                       # when staff typed one (never the patient's: theirs is the deployment's).
                       "role", "party_id", "call_name"}


def test_migrations_match_the_models(session_app):
    engine = session_app.extensions["patientapp.db"].engine
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_times_come_back_in_utc(db):
    clinic = _clinic(db)
    oslo_start = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    invitation, _ = invitations.create_invitation(db, clinic, oslo_start, oslo_start + timedelta(minutes=30), "ar")
    db.commit()
    db.expire_all()
    stored = db.get(Invitation, invitation.id)
    assert stored.starts_at == oslo_start and stored.starts_at.tzinfo == UTC


@pytest.mark.parametrize("kwargs", [
    dict(starts_at=NOW, ends_at=NOW - timedelta(minutes=1)),
    dict(starts_at=NOW.replace(tzinfo=None), ends_at=NOW.replace(tzinfo=None)),
    dict(label="x" * 21),
    dict(language="de", languages=("nb", "en")),
])
def test_invalid_invitations_are_refused_and_nothing_is_stored(db, kwargs):
    clinic = _clinic(db)
    db.commit()
    args = dict(starts_at=NOW, ends_at=NOW + timedelta(minutes=30), language="nb") | kwargs
    with pytest.raises(invitations.InvalidInvitation):
        invitations.create_invitation(db, clinic, **args)
    db.rollback()
    assert db.execute(text("SELECT COUNT(*) FROM invitations")).scalar() == 0


def test_window_opens_at_creation_and_closes_after_grace(db):
    clinic = _clinic(db)
    invitation, _ = invitations.create_invitation(db, clinic, NOW, NOW + timedelta(minutes=30), "nb")
    window = invitations.Window(grace=timedelta(hours=2))
    assert window.is_open(invitation, NOW - timedelta(days=5))
    assert window.is_open(invitation, NOW + timedelta(minutes=150))
    assert not window.is_open(invitation, NOW + timedelta(minutes=151))
    for dead in (invitations.CANCELLED, invitations.EXPIRED):
        invitation.state = dead
        assert not window.is_open(invitation, NOW)


def test_state_machine():
    invitation = Invitation(state=invitations.SCHEDULED)
    invitations.open_invitation(invitation, NOW)
    assert invitation.state == invitations.OPENED and invitation.opened_at == NOW
    invitations.open_invitation(invitation, NOW + timedelta(minutes=1))
    assert invitation.opened_at == NOW
    invitations.transition(invitation, invitations.KNOCKING, NOW)
    invitations.transition(invitation, invitations.OPENED, NOW)  # a lapsed knock
    invitations.transition(invitation, invitations.WITHDRAWN, NOW)
    with pytest.raises(invitations.InvalidTransition):
        invitations.transition(invitation, invitations.KNOCKING, NOW)
    for allowed in invitations.TRANSITIONS.values():
        assert allowed <= set(invitations.STATES)
    assert invitations.TRANSITIONS[invitations.CANCELLED] == frozenset()


@pytest.mark.parametrize("hostile", ["", "' OR 1=1 --", "\x00", "a" * 5000, "../../", "😀" * 43])
def test_lookup_with_hostile_tokens_finds_nothing(db, hostile):
    assert invitations.find_by_token(db, hostile) is None
