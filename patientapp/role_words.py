"""The participants' roles in words (participants.ROLES): for staff, for the participant's own page,
and as the name the video room shows for them in the clinician's language ("Tolk", "Pårørende")."""
from __future__ import annotations

from flask import current_app
from flask_babel import pgettext

from . import i18n, participants
from .models import Invitation


def role_name(role: str) -> str:
    """The role as a short noun, in the current language."""
    return {
        participants.PATIENT: pgettext("role", "Patient"),
        participants.RELATIVE: pgettext("role", "Relative or carer"),
        participants.INTERPRETER: pgettext("role", "Interpreter"),
        participants.HEALTH_WORKER: pgettext("role", "Health worker"),
    }.get(role, pgettext("role", "Patient"))


def call_name(invitation: Invitation, clinician_language: str | None) -> str:
    """The name the video room shows: the one staff typed; else, for a participant, their role in the
    language of the clinician who let them in (the clinician reads it); for the patient, the
    deployment's (PATIENT_DISPLAY_NAME), never a name of theirs."""
    if invitation.call_name:
        return invitation.call_name
    if invitation.role == participants.PATIENT:
        return current_app.config["PATIENT_DISPLAY_NAME"]
    with i18n.force_language(clinician_language or i18n.DEFAULT):
        return role_name(invitation.role)
