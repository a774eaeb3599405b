"""What the integration tests share beyond fixtures: a staff member's client, the invitation form,
a knocking patient, and seeing what the app wrote."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from patientapp.models import utcnow

PEXIP = {"key": "room-1", "label": "Rom 1", "provider": "pexip", "node": "join.nhn.no", "alias": "123456",
         "autolock": True}


def fresh(db):
    """See what the app wrote: end the test session's transaction and forget its cached objects."""
    db.rollback()
    db.expire_all()


class StaffClient:
    """A Flask test client signed in as a staff member, with the page's CSRF token at hand."""

    def __init__(self, app, staff_id, token):
        self.app, self.staff_id = app, staff_id
        self.client = app.test_client()
        self.client.set_cookie("__Host-staff", token)
        self._csrf = None

    @property
    def csrf(self):
        if self._csrf is None:
            html = self.client.get("/staff/").get_data(as_text=True)
            self._csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        return self._csrf

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def form(self, url, data):
        return self.client.post(url, data={**data, "csrf_token": self.csrf})

    def api(self, url, body=None):
        return self.client.post(url, json=body or {}, headers={"X-CSRFToken": self.csrf})


def invitation_form(**overrides) -> dict:
    """The one-screen form filled in for an appointment in an hour (the clinic's clock), without SMS."""
    local = (utcnow() + timedelta(hours=1)).astimezone(ZoneInfo("Europe/Oslo"))
    return {"date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M"), "duration": "30",
            "language": "ar", "label": "KN", "room": "room-1", "delivery": "none", **overrides}


def create_invitation(staff, **overrides):
    return staff.form("/staff/invitations/new", invitation_form(**overrides))


def link_token(response):
    return re.search(r"/i/([A-Za-z0-9_-]{43})", response.get_data(as_text=True)).group(1)


def knocking_patient(app, invitation_factory, clinic, db, **kwargs):
    invitation, token = invitation_factory.create(language="en", starts_in=timedelta(minutes=10), **kwargs)
    db.execute(text("UPDATE invitations SET clinic_id = :c, room_ref = 'room-1' WHERE id = :i"),
               {"c": clinic.id, "i": invitation.id})
    db.commit()
    patient = app.test_client()
    patient.get(f"/i/{token}")
    patient.link_token = token  # for a second device opening the same link
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', patient.get("/visit/wait").get_data(as_text=True)).group(1)
    return invitation, patient, csrf
