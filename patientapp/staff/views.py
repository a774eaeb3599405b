"""The clinic's workspace: today's patients, invitations, the team and the video rooms. Thin views."""
from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from flask import abort, current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectChoice

from .. import (
    appointment,
    audit,
    i18n,
    invitations,
    knocks,
    links,
    participants,
    paths,
    rooms,
    sms,
    staff_access,
    timefmt,
)
from ..db import get_session
from ..models import Clinic, Invitation, Knock, Passkey, Staff, utcnow
from . import bp
from . import dashboard as board
from . import invitation_list as invitation_list_model
from .forms import InvitationForm, LinkForm, NewInvitationForm, ParticipantForm, RoomForm, SmsForm, StaffForm
from .guard import admin_required, load_staff

bp.before_request(load_staff)


def _clinic() -> Clinic:
    return g.staff.clinic


@bp.context_processor
def _dashboard_row():
    return {"dashboard_row": board.row_html}


@bp.context_processor
def _staff_limits():
    return {"max_label": invitations.MAX_LABEL_LENGTH,
            "duration_range": (invitations.MIN_DURATION, invitations.MAX_DURATION)}


@bp.context_processor
def _staff_time():
    """`when(moment)`: a moment as the workspace writes it everywhere, in the clinic's time zone and the
    staff member's language, without seconds ("onsdag 3. desember 2026 14:30")."""
    def when(moment: datetime | str | None) -> Markup:
        if isinstance(moment, str):  # the outbox keeps ISO times
            try:
                moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
            except ValueError:
                return Markup("–")
        if moment is None:
            return Markup("–")
        zone = g.staff.clinic.time_zone if g.get("staff") else current_app.config["BABEL_DEFAULT_TIMEZONE"]
        day, clock = timefmt.local_day_and_time(moment, zone, i18n.current().format_locale)
        return Markup("%s <bdi>%s</bdi>") % (day, clock)
    return {"when": when}


def _own_invitation(invitation_id: int) -> Invitation:
    invitation = get_session().get(Invitation, invitation_id)
    if invitation is None or invitation.clinic_id != g.staff.clinic_id:
        abort(404)
    return invitation


def _code_key() -> str:
    """The key of the typeable codes' HMACs (links.code_digest): the app's secret."""
    return current_app.config["SECRET_KEY"]


def _typeable_code(token: str) -> str:
    """The code that goes with the link, to type instead (links.code_of), grouped for reading."""
    return links.grouped_code(links.code_of(token))


def _link(token: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("patient.open_link", token=token)


def qr_svg(data: str) -> Markup:
    """A QR code as inline SVG; the payload is exactly the link (R7)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return Markup(image.to_string(encoding="unicode"))


def _room_choices(clinic: Clinic) -> list[SelectChoice]:
    return [SelectChoice(room["key"], room.get("label", room["key"]))
            for room in rooms.clinic_rooms(clinic.room_settings) if room.get("key")]


# --- the dashboard -----------------------------------------------------------------------------

@bp.get("/")
def dashboard():
    """Today's invitations and who is knocking; the script keeps it fresh every few seconds."""
    return render_template("staff/dashboard.html", board=board.build(get_session(), _clinic(), utcnow()),
                           poll_seconds=current_app.config["STATUS_POLL_SECONDS"])


@bp.get("/api/dashboard")
def dashboard_json():
    """The board as data, with its rows as HTML from the one template the page uses too; or, asked with
    the moment of the board the page shows (`asOf`), "unchanged" while no news of the clinic came."""
    shown = request.args.get("asOf", "")
    if shown and board.unchanged_since(shown, g.staff.clinic_id, current_app.extensions["patientapp.watch"],
                                       current_app.extensions["patientapp.news"]):
        return jsonify(unchanged=True, asOf=shown)
    as_of = board.as_of()
    built = board.build(get_session(), _clinic(), utcnow())
    answer = board.as_json(built)
    answer["rowsHtml"] = render_template("staff/_dashboard-rows.html", board=built)
    answer["asOf"] = as_of
    return jsonify(answer)


def _own_knock(knock_id: int) -> Knock:
    knock = get_session().get(Knock, knock_id)
    if knock is None or knock.invitation.clinic_id != g.staff.clinic_id:
        abort(404)
    return knock


@bp.post("/api/knocks/<int:knock_id>/<action>")
def knock_action(knock_id: int, action: str):
    """Admit, deny, send a preset message or end: one audit row each (R49)."""
    db = get_session(write=True)
    knock = _own_knock(knock_id)
    # One action at a time per invitation, and admissions one at a time per clinic (one patient per room).
    knocks.lock(db, knock, clinic=action == "admit")
    now = utcnow()
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):  # a list, a string or a number is no options at all
        payload = {}
    try:
        if action == "admit":
            knocks.admit(db, knock, g.staff, now, override=payload.get("override") is True)
        elif action == "deny":
            knocks.deny(knock, now)
        elif action == "message":
            knocks.send_message(knock, str(payload.get("message", "")), now)
        elif action == "end":
            knocks.end_appointment(db, knock, now)
        else:
            abort(404)
    except knocks.Refused as refused:
        db.rollback()
        audit.staff_action(db, f"knock-{action}", "refused", invitation_id=knock.invitation_id, detail=refused.reason)
        db.commit()
        return jsonify(error=refused.reason, message=board.refusal_text(refused.reason)), refused.status
    audit.staff_action(db, f"knock-{action}", invitation_id=knock.invitation_id,
                       detail=payload.get("message") if action == "message" else None)
    db.commit()
    return jsonify(ok=True)


@bp.post("/api/appointments/<int:invitation_id>/admit-all")
def admit_all(invitation_id: int):
    """Let in everyone of one appointment who is knocking: the patient, the interpreter, the nurse."""
    db = get_session(write=True)
    patient = _own_invitation(invitation_id)
    if patient.party_id is not None:
        abort(404)
    knocks.lock_appointment(db, patient)
    payload = request.get_json(silent=True)
    override = isinstance(payload, dict) and payload.get("override") is True
    try:
        count = knocks.admit_all(db, patient, g.staff, utcnow(), override=override)
    except knocks.Refused as refused:
        db.rollback()
        audit.staff_action(db, "knock-admit-all", "refused", invitation_id=invitation_id, detail=refused.reason)
        db.commit()
        return jsonify(error=refused.reason, message=board.refusal_text(refused.reason)), refused.status
    audit.staff_action(db, "knock-admit-all", invitation_id=invitation_id, detail=str(count))
    db.commit()
    return jsonify(ok=True, admitted=count)


@bp.get("/emergency")
def emergency():
    """The routine when video fails (R64), always one click from the dashboard."""
    return render_template("staff/emergency.html",
                           routine_url=_clinic().emergency_url or current_app.config["EMERGENCY_ROUTINE_URL"])


# --- invitations -------------------------------------------------------------------------------

@bp.get("/invitations")
def invitation_list():
    """Every invitation of the clinic still kept: today, the days ahead and before, filtered and paged."""
    clinic = _clinic()
    listing = invitation_list_model.build(get_session(), clinic, invitation_list_model.parse(request.args), utcnow(),
                                          i18n.current().format_locale)
    return render_template("staff/invitations.html", listing=listing, room_choices=_room_choices(clinic),
                           states=board.state_filter_words())


def _invitation_form(clinic: Clinic, form_class=InvitationForm, **kwargs) -> InvitationForm:
    form = form_class(**kwargs)
    form.room.choices = _room_choices(clinic)
    return form


def _next_quarter_hour(clinic: Clinic) -> datetime:
    """The clinic's wall clock rounded up to the next quarter hour: the time most invitations want."""
    local = utcnow().astimezone(ZoneInfo(clinic.time_zone)).replace(second=0, microsecond=0)
    return local + timedelta(minutes=15 - local.minute % 15)


def _first_error(form) -> str | None:
    """The name of the first field (in the page's order) with an error: it takes the focus."""
    return next((f.name for f in form if f.errors), None)


def _horizon() -> timedelta:
    return timedelta(days=current_app.config["INVITATION_HORIZON_DAYS"])


def _times(form: InvitationForm, clinic: Clinic) -> tuple[datetime, datetime] | None:
    """The appointment's start and end in UTC, or None with the reason on the form's field."""
    now = utcnow()
    try:
        invitations.check_day(form.date.data, clinic.time_zone, now, _horizon())
        start = invitations.local_to_utc(form.date.data, form.time.data or time(0), clinic.time_zone)
        end = start + timedelta(minutes=form.duration.data)
        invitations.check_schedule(start, end, clinic.time_zone, now, _horizon())
    except invitations.OutOfRange as error:
        form.date.errors = [*form.date.errors, board.schedule_error_text(error.reason, _horizon().days)]
        return None
    except invitations.AmbiguousLocalTime as error:
        form.time.errors = [*form.time.errors, board.clock_change_text(error)]
        return None
    return start, end


def _mobile_number(field, when_empty: str | None = None) -> str | None:
    """The field's number in E.164, or None with the reason on the field (`when_empty` if it is empty)."""
    try:
        return sms.normalise_phone(field.data or "")
    except sms.InvalidPhone:
        wrong = _("This does not look like a mobile number.")
        field.errors = [*field.errors, when_empty if when_empty and not (field.data or "").strip() else wrong]
        return None


def _patient_phone(form: NewInvitationForm) -> str | None:
    """The number to send the SMS to, if the staff member chose to send one; None with the reason on
    the field when it is missing or not a mobile number."""
    if form.delivery.data != "sms":
        return None
    missing = _("Write the patient's mobile number, or choose “No SMS”.")
    return _mobile_number(form.phone, when_empty=missing)


@bp.route("/invitations/new", methods=["GET", "POST"])
def new_invitation():
    """Create an invitation and, if chosen, send its SMS, from one screen; the result page is the only
    time the link can be shown."""
    clinic = _clinic()
    form = _invitation_form(clinic, NewInvitationForm)
    made_before = session.get(paths.CREATED_KEY, {}).get(form.once.data or "")
    if request.method == "POST" and made_before:
        # The same form again (a reload, or Back and send): the invitation exists; its link was shown.
        return redirect(url_for("staff.invitation", invitation_id=made_before, again=1), code=303)
    if request.method == "GET":
        form.once.data = secrets.token_urlsafe(12)
        start = _next_quarter_hour(clinic)
        form.date.data = form.date.data or start.date()
        form.time.data = form.time.data or start.time()
        form.duration.data = clinic.default_duration
        if len(form.room.choices) == 1:
            form.room.data = form.room.choices[0].value
    valid = form.validate_on_submit()
    times = _times(form, clinic) if valid else None
    phone = _patient_phone(form) if request.method == "POST" else None
    if times is not None and (phone is not None or form.delivery.data == "none"):
        db = get_session(write=True)
        invitation, token = invitations.create_invitation(db, clinic, *times, form.language.data,
                                                     label=form.label.data or None, room_ref=form.room.data or None,
                                                     now=utcnow(), horizon=_horizon(), code_key=_code_key())
        audit.staff_action(db, "invitation-create", invitation_id=invitation.id)
        db.commit()
        if form.once.data:
            made = dict(list(session.get(paths.CREATED_KEY, {}).items())[-19:])  # the last 20 are enough
            made[form.once.data] = invitation.id
            session[paths.CREATED_KEY] = made
        if phone is None:
            return _result(invitation, token)
        return _send_sms(invitation, token, phone, SmsForm(token=token, formdata=None))
    status = 422 if request.method == "POST" else 200
    return render_template("staff/invitation-form.html", form=form, invitation=None, no_rooms=not form.room.choices,
                           focus=_first_error(form)), status


def _sms_text(invitation: Invitation, token: str) -> str:
    """The SMS in the patient's language: neutral sender, date, time, link and its code; nothing else (R6)."""
    with i18n.force_language(invitation.language):
        template = _("Video appointment with %(clinic)s %(date)s at %(time)s. Open: %(link)s",
                     clinic="%(clinic)s", date="%(date)s", time="%(time)s", link="%(link)s")
        # For a phone that cannot open links: the code, typed at the service's address on a PC.
        template += " " + _("No smartphone? Type the code %(code)s at %(address)s",
                            code="%(code)s", address="%(address)s")
    return sms.render_text(sender_name=invitation.clinic.display_name, starts_at=invitation.starts_at,
                           time_zone=invitation.clinic.time_zone, link=_link(token), template=template,
                           locale=i18n.LANGUAGES[invitation.language].format_locale, code=_typeable_code(token),
                           address=links.short_address(current_app.config["PUBLIC_BASE_URL"]))


def _result(invitation: Invitation, token: str, sent: str | None = None, sms_form: SmsForm | None = None, status=200):
    link = _link(token)
    text = _sms_text(invitation, token)
    encoding, count, units = sms.segments(text)
    sms_form = sms_form or SmsForm(token=token, formdata=None)
    if invitation.party_id is not None:  # an interpreter's number is not the patient's
        sms_form.phone.label.text = _("Their mobile number")
    return render_template("staff/invitation-result.html", invitation=invitation, link=link, token=token,
                           code=_typeable_code(token),
                           address=links.short_address(current_app.config["PUBLIC_BASE_URL"]),
                           sms_text=text, sms_encoding=encoding, sms_segments=count, sms_units=units,
                           qr=qr_svg(link), sms_form=sms_form, sent=sent,
                           letter_form=LinkForm(token=token, formdata=None)), status


@bp.post("/invitations/<int:invitation_id>/sms")
def send_sms(invitation_id: int):
    """Send the SMS: always an explicit action (R8); the number is used and forgotten (R53)."""
    invitation = _own_invitation(invitation_id)
    form = SmsForm()
    if not form.validate_on_submit() or not invitations.has_link(invitation, form.token.data):
        abort(400)
    token = form.token.data
    phone = _mobile_number(form.phone)
    if phone is None:
        return _result(invitation, token, sms_form=form, status=422)
    return _send_sms(invitation, token, phone, form)


def _send_sms(invitation: Invitation, token: str, phone: str, form: SmsForm):
    """Send the invitation's SMS to `phone` (E.164) and show the result page; the number is not kept."""
    db = get_session(write=True)
    try:
        sms.gateway_from_config(current_app.config, current_app.instance_path, invitation.clinic_id,
                                sender=invitation.clinic.sms_sender).send(phone, _sms_text(invitation, token))
    except sms.SendError as error:
        audit.staff_action(db, "invitation-sms", "failure", invitation_id=invitation.id, detail=str(error)[:60])
        db.commit()
        form.phone.errors = [*form.phone.errors,
                             _("The SMS could not be sent. Try again, or give the patient the letter.")]
        return _result(invitation, token, sms_form=form, status=502)
    audit.staff_action(db, "invitation-sms", invitation_id=invitation.id)
    db.commit()
    return _result(invitation, token, sent=sms.mask_phone(phone))


@bp.post("/invitations/<int:invitation_id>/letter")
def letter(invitation_id: int):
    """A printable letter in the patient's language: the time, what to prepare, the QR code, the phone."""
    invitation = _own_invitation(invitation_id)
    form = LinkForm()
    if not form.validate_on_submit() or not invitations.has_link(invitation, form.token.data):
        abort(400)
    language, link = i18n.LANGUAGES[invitation.language], _link(form.token.data)
    with i18n.force_language(invitation.language):
        return render_template("staff/letter.html", invitation=invitation, letter_lang=language, link=link,
                               code=_typeable_code(form.token.data),
                               address=links.short_address(current_app.config["PUBLIC_BASE_URL"]),
                               qr=qr_svg(link), page=appointment.landing(invitation, language.format_locale, utcnow()))


def _invitation_page(invitation: Invitation, participant_form: ParticipantForm | None = None) -> dict:
    clinic = invitation.clinic
    rooms_by_key = {choice.value: choice.label for choice in _room_choices(clinic)}
    db, now = get_session(), utcnow()
    patient = participants.patient_of(invitation)
    members = participants.live_party(patient)
    latest = knocks.latest_knocks(db, [member.id for member in members])
    return {"invitation": invitation,
            "row": board.row(invitation, knocks.latest_knock(db, invitation), now),
            "patient_row": board.row(patient, None, now) if patient is not invitation else None,
            "party": [board.row(member, latest.get(member.id), now) for member in members],
            "participant_form": participant_form or ParticipantForm(formdata=None),
            "max_participants": participants.MAX_PARTICIPANTS,
            "day": timefmt.day(invitation.starts_at.astimezone(ZoneInfo(clinic.time_zone)).date(),
                               i18n.current().format_locale),
            "room_label": rooms_by_key.get(invitation.room_ref, invitation.room_ref),
            "allowed": {action: invitations.allowed(invitation, action) for action in invitations.STAFF_ACTIONS}}


@bp.get("/invitations/<int:invitation_id>")
def invitation(invitation_id: int):
    return render_template("staff/invitation.html", **_invitation_page(_own_invitation(invitation_id)),
                           sent_twice=request.args.get("again") == "1", removed=request.args.get("removed") == "1")


@bp.get("/invitations/<int:invitation_id>/cancel")
def confirm_cancel(invitation_id: int):
    """Cancelling asks once more: a misclick must not end a patient's appointment."""
    invitation = _own_invitation(invitation_id)
    if not invitations.allowed(invitation, "cancel"):
        return redirect(url_for("staff.invitation", invitation_id=invitation.id), code=303)
    return render_template("staff/invitation-cancel.html", **_invitation_page(invitation))


def _own_invitation_for(action: str) -> Invitation:
    """The invitation in the URL, locked for this change, if staff may do `action` to it now (else 409)."""
    invitation = _own_invitation(request.view_args["invitation_id"])
    invitation = invitations.find_by_ref(get_session(write=True), invitation.ref, lock=True)
    if not invitations.allowed(invitation, action):
        abort(409)
    return invitation


@bp.post("/invitations/<int:invitation_id>/revoke")
def revoke(invitation_id: int):
    """Cancel: the link stops working at once and shows only the generic page (R3, R4)."""
    db = get_session(write=True)
    invitation = _own_invitation_for("cancel")
    invitations.cancel(db, invitation, utcnow())
    audit.staff_action(db, "invitation-revoke", invitation_id=invitation.id)
    db.commit()
    return redirect(url_for("staff.invitation", invitation_id=invitation.id), code=303)


@bp.post("/invitations/<int:invitation_id>/new-link")
def new_link(invitation_id: int):
    """A new link for a wrong number: the old link, its sessions and its QR and calendar links stop working."""
    db = get_session(write=True)
    invitation = _own_invitation_for("replace-link")
    token = invitations.replace_link(db, invitation, utcnow(), code_key=_code_key())
    audit.staff_action(db, "invitation-new-link", invitation_id=invitation.id)
    db.commit()
    return _result(invitation, token)


@bp.post("/invitations/<int:invitation_id>/another-link")
def another_link(invitation_id: int):
    """One more link for a patient who lost the SMS: the links made before keep working (the letter)."""
    db = get_session(write=True)
    invitation = _own_invitation_for("another-link")
    try:
        token = invitations.another_link(invitation, utcnow(), code_key=_code_key())
    except invitations.TooManyLinks:
        db.rollback()
        return render_template("staff/invitation.html", **_invitation_page(invitation),
                               refusal=_("This invitation has too many links. Make a new link instead: "
                                         "the old ones then stop working.")), 409
    audit.staff_action(db, "invitation-another-link", invitation_id=invitation.id)
    db.commit()
    return _result(invitation, token)


@bp.post("/invitations/<int:invitation_id>/participants")
def add_participant(invitation_id: int):
    """Someone joins the appointment (a relative, an interpreter, a nurse): their own link, in their
    language, shown once on the result page with its SMS, letter and QR code."""
    form = ParticipantForm()
    if not form.validate_on_submit():
        invitation = _own_invitation(invitation_id)
        return render_template("staff/invitation.html", **_invitation_page(invitation, form),
                               focus=_first_error(form)), 422
    db = get_session(write=True)
    patient = _own_invitation_for("add-participant")
    try:
        member, token = participants.add(db, patient, form.role.data, form.language.data, form.label.data or None,
                                         utcnow(), call_name=form.call_name.data or None,
                                         languages=tuple(i18n.LANGUAGES), code_key=_code_key())
    except participants.TooMany:
        db.rollback()
        return render_template("staff/invitation.html", **_invitation_page(patient, form), refusal=ngettext(
            "An appointment can have at most %(num)d other person. Remove one first.",
            "An appointment can have at most %(num)d other people. Remove one first.",
            participants.MAX_PARTICIPANTS)), 409
    audit.staff_action(db, "participant-add", invitation_id=member.id, detail=member.role)
    db.commit()
    return _result(member, token)


@bp.post("/invitations/<int:invitation_id>/remove")
def remove_participant(invitation_id: int):
    """Take a participant out of the appointment: their links and sessions stop working at once."""
    db = get_session(write=True)
    member = _own_invitation_for("remove")
    participants.remove(db, member, utcnow())
    audit.staff_action(db, "participant-remove", invitation_id=member.id)
    db.commit()
    return redirect(url_for("staff.invitation", invitation_id=member.party_id, removed=1), code=303)


@bp.route("/invitations/<int:invitation_id>/edit", methods=["GET", "POST"])
def reschedule(invitation_id: int):
    """Move the appointment or change its room or language; the link stays the same."""
    invitation = _own_invitation(invitation_id)
    clinic = _clinic()
    if not invitations.allowed(invitation, "reschedule"):
        abort(409)
    local = invitation.starts_at.astimezone(ZoneInfo(clinic.time_zone))
    form = _invitation_form(clinic, data=None if request.method == "POST" else {
        "date": local.date(), "time": local.time(), "language": invitation.language, "label": invitation.label,
        "room": invitation.room_ref,
        "duration": int((invitation.ends_at - invitation.starts_at).total_seconds() // 60)})
    times = _times(form, clinic) if form.validate_on_submit() else None
    if times is not None:
        db = get_session(write=True)
        invitation = _own_invitation_for("reschedule")
        invitations.reschedule(invitation, *times, form.language.data, form.label.data or None, form.room.data or None,
                          utcnow(), _horizon())
        audit.staff_action(db, "invitation-reschedule", invitation_id=invitation.id)
        db.commit()
        return redirect(url_for("staff.invitation", invitation_id=invitation.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("staff/invitation-form.html", form=form, invitation=invitation,
                           no_rooms=not form.room.choices, focus=_first_error(form)), status


# --- team and rooms (administrators) ------------------------------------------------------------

@bp.route("/team", methods=["GET", "POST"])
@admin_required
def team():
    """Staff of the clinic; administrators enrol new people with a single-use link (R21)."""
    db = get_session(write=request.method == "POST")
    form = StaffForm()
    enrolment_link = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            email = form.email.data.strip().lower()
            if db.scalar(select(Staff).where(Staff.email == email)):
                form.email.errors = [*form.email.errors, _("Someone with this e-mail address is already registered.")]
                status = 422
            else:
                person = Staff(clinic=_clinic(), email=email, display_name=form.display_name.data.strip(),
                               role=form.role.data, language=form.language.data,
                               user_handle=staff_access.new_user_handle())
                db.add(person)
                db.flush()
                enrolment_link = _enrolment_link(staff_access.new_enrolment(db, person, utcnow()))
                audit.staff_action(db, "staff-enrol", detail=f"staff={person.id}")
                db.commit()
                form = StaffForm(formdata=None)
        else:
            status = 422
    return _team_page(form, enrolment_link), status


def _team_page(form: StaffForm, enrolment_link: str | None) -> str:
    """The team page; with a fresh enrolment link and its QR code when one was just made."""
    people = get_session().scalars(select(Staff).where(Staff.clinic_id == g.staff.clinic_id)
                                   .order_by(Staff.display_name)).all()
    return render_template("staff/team.html", form=form, people=people, enrolment_link=enrolment_link,
                           enrolment_qr=qr_svg(enrolment_link) if enrolment_link else None)


def _enrolment_link(token: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("staff.enrol_link", token=token)


def _own_staff(staff_id: int) -> Staff:
    person = get_session().get(Staff, staff_id)
    if person is None or person.clinic_id != g.staff.clinic_id:
        abort(404)
    return person


@bp.post("/team/<int:staff_id>/disable")
@admin_required
def disable(staff_id: int):
    """Disable a user: every session of theirs ends at once (R22)."""
    db = get_session(write=True)
    person = _own_staff(staff_id)
    if person.id == g.staff.id:
        abort(409)
    staff_access.disable(db, person, utcnow())
    audit.staff_action(db, "staff-disable", detail=f"staff={person.id}")
    db.commit()
    return redirect(url_for("staff.team"), code=303)


@bp.post("/team/<int:staff_id>/enable")
@admin_required
def enable(staff_id: int):
    """Let a disabled team member back in (with their passkeys, or a new enrolment link)."""
    db = get_session(write=True)
    person = _own_staff(staff_id)
    staff_access.enable(person)
    audit.staff_action(db, "staff-enable", detail=f"staff={person.id}")
    db.commit()
    return redirect(url_for("staff.team"), code=303)


@bp.get("/team/<int:staff_id>/passkeys")
@admin_required
def team_passkeys(staff_id: int):
    """A team member's passkeys, for removing one that was lost or stolen."""
    person = _own_staff(staff_id)
    if person.id == g.staff.id:
        # One's own passkeys live on their own page, with its rule about the last one.
        return redirect(url_for("staff.passkeys"), code=303)
    return render_template("staff/team-passkeys.html", person=person,
                           passkeys=sorted(person.passkeys, key=lambda p: p.created_at))


@bp.post("/team/<int:staff_id>/passkeys/<int:passkey_id>/delete")
@admin_required
def remove_team_passkey(staff_id: int, passkey_id: int):
    db = get_session(write=True)
    person = _own_staff(staff_id)
    passkey = db.get(Passkey, passkey_id)
    if passkey is None or passkey.staff_id != person.id:
        abort(404)
    if person.id == g.staff.id:
        abort(409)  # one's own: /staff/passkeys, which keeps the last one
    staff_access.remove_passkey(db, passkey)
    audit.staff_action(db, "passkey-remove", detail=f"staff={person.id}")
    db.commit()
    return redirect(url_for("staff.team_passkeys", staff_id=person.id), code=303)


@bp.post("/team/<int:staff_id>/link")
@admin_required
def new_enrolment_link(staff_id: int):
    """A new enrolment link, e.g. for someone who lost their only passkey."""
    db = get_session(write=True)
    person = _own_staff(staff_id)
    if person.disabled_at:
        abort(409)
    link = _enrolment_link(staff_access.new_enrolment(db, person, utcnow()))
    audit.staff_action(db, "staff-enrol", detail=f"staff={person.id}")
    db.commit()
    return _team_page(StaffForm(formdata=None), link)


@bp.route("/rooms", methods=["GET", "POST"])
@admin_required
def room_settings():
    """The clinic's video rooms; every address is checked against the allowlist when saved (R11)."""
    clinic = _clinic()
    form = RoomForm()
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        db = get_session(write=True)
        clinic = db.get(Clinic, clinic.id)
        settings = dict(clinic.room_settings or {})
        existing = rooms.clinic_rooms(settings)
        candidate = {k: v for k, v in form.data.items() if k not in ("csrf_token",) and v not in (None, "")}
        try:
            if any(r.get("key") == candidate["key"] for r in existing):
                raise rooms.RoomError("key")
            cleaned = rooms.validate_room(candidate, current_app.config["ROOM_HOSTS"],
                                          current_app.config["ALLOW_LOCAL_ROOMS"])
        except rooms.RoomError as error:
            form.key.errors = [*form.key.errors, board.room_error_text(error.code)]
            status = 422
        else:
            settings["rooms"] = [*existing, cleaned]
            clinic.room_settings = settings
            audit.staff_action(db, "room-add", detail=f"room={cleaned['key']}")
            db.commit()
            return redirect(url_for("staff.room_settings"), code=303)
    elif request.method == "POST":
        status = 422
    room_list = rooms.clinic_rooms(clinic.room_settings)
    return render_template("staff/rooms.html", form=form, rooms=room_list,
                           warnings={r.get("key"): rooms.warnings(r) for r in room_list}), status


@bp.post("/rooms/<key>/delete")
@admin_required
def delete_room(key: str):
    db = get_session(write=True)
    clinic = db.get(Clinic, g.staff.clinic_id)
    settings = dict(clinic.room_settings or {})
    settings["rooms"] = [r for r in settings.get("rooms", []) if not (isinstance(r, dict) and r.get("key") == key)]
    clinic.room_settings = settings
    audit.staff_action(db, "room-remove", detail=f"room={key[:30]}")
    db.commit()
    return redirect(url_for("staff.room_settings"), code=303)


@bp.get("/outbox")
@admin_required
def outbox():
    """The development SMS gateway's messages of this clinic: administrators only, and only where the
    outbox runs at all (they hold working links, R8)."""
    try:
        gateway = sms.gateway_from_config(current_app.config, current_app.instance_path, g.staff.clinic_id)
    except sms.OutboxRefused:
        abort(404)
    if not isinstance(gateway, sms.OutboxGateway):
        abort(404)
    return render_template("staff/outbox.html", messages=gateway.read(20))
