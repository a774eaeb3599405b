"""The audit trail: one append-only row per staff action or sign-in attempt (R49), mirrored to the log
as structured fields. Ids and short codes only: never tokens, names, labels, phone numbers (R50)."""
from __future__ import annotations

import logging

from flask import g, has_request_context, request
from sqlalchemy.orm import Session

from .logs import current_request_id, request_id_of
from .models import AuditEvent, utcnow

log = logging.getLogger("patientapp.audit")


def record(db: Session, action: str, result: str = "ok", *, staff_id: int | None = None,
           clinic_id: int | None = None, invitation_id: int | None = None, detail: str | None = None) -> AuditEvent:
    event = AuditEvent(at=utcnow(), request_id=_request_id(),
                       staff_id=staff_id, clinic_id=clinic_id, invitation_id=invitation_id,
                       action=action, result=result, detail=(detail or None) and detail[:80])
    db.add(event)
    log.info("audit %s %s", action, result, extra={
        "audit": {"action": action, "result": result, "staff_id": staff_id, "clinic_id": clinic_id,
                  "invitation_id": invitation_id, "detail": event.detail}})
    return event


def _request_id() -> str | None:
    """This request's id; none for the command line (`flask staff enrol`, the demo), which has no request."""
    if not has_request_context():
        return None
    return request_id_of(request.environ) or current_request_id()


def staff_action(db: Session, action: str, result: str = "ok", *, invitation_id: int | None = None,
                 detail: str | None = None) -> AuditEvent:
    """Record an action of the signed-in staff member (g.staff), in their clinic."""
    return record(db, action, result, staff_id=g.staff.id, clinic_id=g.staff.clinic_id,
                  invitation_id=invitation_id, detail=detail)
