"""The workspace in a nurse's real day: another link for a lost SMS, the invitations list, the
one-screen form, undo, preferences and the clinic's own settings."""
from sqlalchemy import select

from patientapp import invitations
from patientapp.models import AuditEvent
from tests.integration.helpers import create_invitation, fresh, link_token


def _invitation(db, token):
    fresh(db)
    return invitations.find_by_token(db, token)


def test_another_link_leaves_the_first_working_for_the_letter_and_the_patient(sign_in, db, app):
    staff = sign_in()
    first = link_token(create_invitation(staff))
    patient = app.test_client()
    assert patient.get(f"/i/{first}").status_code == 303 and patient.get("/visit").status_code == 200
    invitation = _invitation(db, first)
    page = staff.get(f"/staff/invitations/{invitation.id}").get_data(as_text=True)
    assert f"/staff/invitations/{invitation.id}/another-link" in page
    second = link_token(staff.form(f"/staff/invitations/{invitation.id}/another-link", {}))
    assert second != first
    # The patient who opened the first link is still in, and both links open the page.
    assert patient.get("/visit").status_code == 200
    assert app.test_client().get(f"/i/{first}").status_code == 303
    assert app.test_client().get(f"/i/{second}").status_code == 303
    # The letter (made with the first) and the SMS (with the second) both still take their token.
    assert staff.form(f"/staff/invitations/{invitation.id}/letter", {"token": first}).status_code == 200
    assert staff.form(f"/staff/invitations/{invitation.id}/letter", {"token": second}).status_code == 200
    fresh(db)
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.invitation_id == invitation.id))]
    assert actions == ["invitation-create", "invitation-another-link"]


def test_too_many_links_are_refused_with_the_way_out(sign_in, db):
    staff = sign_in()
    invitation = _invitation(db, link_token(create_invitation(staff)))
    for _ in range(invitations.MAX_LINKS - 1):
        assert staff.form(f"/staff/invitations/{invitation.id}/another-link", {}).status_code == 200
    refused = staff.form(f"/staff/invitations/{invitation.id}/another-link", {})
    assert refused.status_code == 409 and "Make a new link instead" in refused.get_data(as_text=True)
    fresh(db)
    assert len(db.get(type(invitation), invitation.id).link_tokens) == invitations.MAX_LINKS
