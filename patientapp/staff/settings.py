"""The staff member's own preferences (language, knock sound) and the clinic's settings (admins)."""
from __future__ import annotations

from flask import g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import audit, clinic_settings, i18n, staff_access
from ..db import get_session
from . import bp
from .forms import ClinicSettingsForm
from .guard import admin_required


def _back_to() -> str:
    """The workspace page the form was sent from (only a path in the workspace), else the dashboard."""
    target = request.form.get("next", "")
    if target.startswith(bp.url_prefix + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("staff.dashboard")


@bp.post("/preferences/language")
def set_language():
    """The workspace's language for this staff member, on every device from now on."""
    language = i18n.normalise(request.form.get("language"))
    if language is None:
        return redirect(_back_to(), code=303)
    db = get_session(write=True)
    staff_access.set_preferences(g.staff, language=language)
    audit.staff_action(db, "staff-language", detail=language)
    db.commit()
    return redirect(_back_to(), code=303)


@bp.post("/api/preferences")
def set_preferences():
    """The dashboard's knock sound, switched on or off: remembered until switched again."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("knockSound"), bool):
        return jsonify(error="invalid"), 400
    db = get_session(write=True)
    staff_access.set_preferences(g.staff, knock_sound=payload["knockSound"])
    db.commit()
    return jsonify(knockSound=g.staff.knock_sound)


def _error_text(code: str) -> str:
    return {
        "name-length": _("Write a name of 2 to 80 characters."),
        "phone": _("This does not look like a phone number."),
        "time-zone": _("Choose a time zone from the list."),
        "sender": _("Use 2 to 11 letters and digits, with at least one letter."),
        "duration": _("The duration must be between 5 and 240 minutes."),
        "url": _("The address must start with https://."),
    }[code]


@bp.route("/clinic", methods=["GET", "POST"])
@admin_required
def clinic_settings_page():
    """The clinic's name, phone, time zone, SMS sender, usual duration and emergency routine."""
    clinic = g.staff.clinic
    form = ClinicSettingsForm(obj=clinic if request.method == "GET" else None)
    saved = False
    if form.validate_on_submit():
        db = get_session(write=True)
        try:
            changed = clinic_settings.update(clinic, clinic_settings.Settings(
                display_name=form.display_name.data, phone=form.phone.data, time_zone=form.time_zone.data,
                sms_sender=form.sms_sender.data, default_duration=form.default_duration.data,
                emergency_url=form.emergency_url.data))
        except clinic_settings.Invalid as error:
            db.rollback()
            getattr(form, error.field).errors = [*getattr(form, error.field).errors,
                                                 _error_text(error.code)]
        else:
            audit.staff_action(db, "clinic-settings", detail=",".join(changed) or None)
            db.commit()
            saved = True
    status = 422 if form.errors else 200
    return render_template("staff/clinic.html", form=form, saved=saved), status
