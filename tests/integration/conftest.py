"""Fixtures of the integration tests: the clinic "test" with one Pexip room, and signed-in staff."""
import pytest

from patientapp.models import Clinic
from tests.conftest import staff_session
from tests.integration.helpers import PEXIP, StaffClient


@pytest.fixture
def clinic(db):
    clinic = Clinic(slug="test", display_name="Nordby helsesenter", phone="+4712345678", time_zone="Europe/Oslo",
                    room_settings={"rooms": [PEXIP]})
    db.add(clinic)
    db.commit()
    return clinic


@pytest.fixture
def sign_in(app, db, clinic):
    def make(role="admin", email=None, language="en"):
        # English, the language these tests read; the workspace speaks the staff member's own.
        person, token = staff_session(db, clinic.id, role, email, language=language)
        return StaffClient(app, person.id, token)
    return make
