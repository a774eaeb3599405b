"""Forms of the clinic's workspace (Flask-WTF: CSRF and validation, messages in the staff member's language)."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from .. import clinic_settings, clinic_websites, i18n, invitations, participants

LANGUAGE_CHOICES = [SelectChoice(code, lang.name) for code, lang in i18n.LANGUAGES.items()]
# No language is chosen for the patient until staff choose one: a silent default sent Somali patients
# a Norwegian SMS.
PATIENT_LANGUAGE_CHOICES = [SelectChoice("", _l("Choose…")), *LANGUAGE_CHOICES]


# The label's limit is the invitation module's; the message is counted from it, not written again.
_at_most_label = lazy_ngettext("At most %(num)d character.", "At most %(num)d characters.",
                               invitations.MAX_LABEL_LENGTH)


# The invitation module's bounds, for an appointment's duration and the clinic's usual one.
_duration_range = NumberRange(invitations.MIN_DURATION, invitations.MAX_DURATION,
                              _l("The duration must be between 5 and 240 minutes."))


def no_national_id(form, field):
    """Never a national ID number in a label (R52); the rule is the invitation module's."""
    if field.data and invitations.looks_like_national_id(field.data):
        raise ValidationError(_l("Do not write a national ID number. Use initials or a reference."))


def staff_label_field() -> StringField:
    """The staff-only label of a patient's or a participant's invitation: the invitation module's rules."""
    return StringField(_l("Label for staff (initials or reference)"), validators=[
        Optional(), Length(max=invitations.MAX_LABEL_LENGTH, message=_at_most_label), no_national_id])


class Form(FlaskForm):
    """The workspace's forms read HTML form posts only.

    Flask-WTF would also take a JSON body as the form's data, and JSON's null, numbers, lists and
    objects are not the strings WTForms' fields expect (a 500). The workspace never posts its forms as
    JSON, so such a body is treated as no data: the form is refused with its usual messages.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if request.is_json and not isinstance(formdata, MultiDict) and formdata is not None:
                return request.form or None
            return super().wrap_formdata(form, formdata)


class InvitationForm(Form):
    date = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])
    time = TimeField(_l("Start time"), validators=[InputRequired(_l("Choose a start time."))])
    duration = IntegerField(_l("Duration in minutes"), default=30, validators=[
        InputRequired(_l("Write the duration in minutes.")),
        _duration_range])
    language = SelectField(_l("The patient's language"), choices=PATIENT_LANGUAGE_CHOICES, default="",
                           validators=[InputRequired(_l("Choose the patient's language."))])
    label = staff_label_field()
    room = SelectField(_l("Video room"), choices=[], validate_choice=True)


class NewInvitationForm(InvitationForm):
    """The invitation and how the patient gets the link, on one screen. The SMS goes only when chosen
    here, with a number (R8): nothing is sent by default, and neither way is chosen in advance."""

    delivery = RadioField(_l("How does the patient get the link?"), choices=[
        SelectChoice("sms", _l("Send an SMS now")),
        SelectChoice("none", _l("No SMS: I give the link, a letter or the QR code"))],
        validators=[InputRequired(_l("Choose how the patient gets the link."))])
    phone = StringField(_l("The patient's mobile number"), validators=[Optional(), Length(max=40)])
    # One random value per form shown: the same form sent again (reload, Back) makes no second invitation.
    once = HiddenField(validators=[Optional(), Length(max=40)])


class ParticipantForm(Form):
    """Someone who joins the patient's appointment, with a language of their own (participants.py)."""

    role = SelectField(_l("Who joins"), choices=[
        SelectChoice("", _l("Choose…")),
        SelectChoice(participants.RELATIVE, _l("A relative or carer")),
        SelectChoice(participants.INTERPRETER, _l("An interpreter")),
        SelectChoice(participants.HEALTH_WORKER, _l("A home-care nurse or other health worker"))],
        default="", validators=[InputRequired(_l("Choose who joins."))])
    language = SelectField(_l("Their language"), choices=PATIENT_LANGUAGE_CHOICES, default="",
                           validators=[InputRequired(_l("Choose their language."))])
    label = staff_label_field()
    call_name = StringField(_l("Name in the video call (optional)"), validators=[
        Optional(), Length(max=participants.MAX_CALL_NAME, message=_l("The name is too long.")), no_national_id])


class ClinicSettingsForm(Form):
    """The clinic's details; the rules are clinic_settings.clean's, these only say what is missing."""

    display_name = StringField(_l("The clinic's name, as patients see it"), validators=[
        InputRequired(_l("Write the clinic's name.")), Length(max=80, message=_l("The name is too long."))])
    phone = StringField(_l("Phone number for patients"), validators=[InputRequired(_l("Write a phone number."))])
    time_zone = SelectField(_l("Time zone"), choices=[])
    sms_sender = StringField(_l("SMS sender (optional)"), validators=[Optional(), Length(max=11, message=_l(
        "At most 11 letters and digits."))])
    default_duration = IntegerField(_l("Usual duration in minutes"), validators=[
        InputRequired(_l("Write the duration in minutes.")),
        _duration_range])
    emergency_url = StringField(_l("Link to the routine when video fails (optional)"), validators=[
        Optional(), Length(max=300, message=_l("The address is too long."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.time_zone.data or clinic_settings.COMMON_TIME_ZONES[0]
        zones = list(clinic_settings.COMMON_TIME_ZONES)
        if current not in zones:
            zones.append(current)  # a zone set another way stays choosable
        self.time_zone.choices = [SelectChoice(zone, zone.replace("_", " ")) for zone in zones]


class SmsForm(Form):
    phone = StringField(_l("The patient's mobile number"), validators=[InputRequired(_l("Write a phone number."))])
    token = StringField(validators=[InputRequired(), Length(max=100)])


class LinkForm(Form):
    """Carries the link token from the result page back, for the letter (the server keeps no token)."""

    token = StringField(validators=[InputRequired(), Length(max=100)])


class StaffForm(Form):
    # A plain pattern, not wtforms' Email(): that needs the email_validator package, and a staff login
    # only has to look like an address (it is never mailed by this app).
    email = EmailField(_l("E-mail"), validators=[
        InputRequired(_l("Write an e-mail address.")), Length(max=254),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Write a valid e-mail address."))])
    display_name = StringField(_l("Name"), validators=[InputRequired(_l("Write a name.")), Length(max=80)])
    role = SelectField(_l("Role"),
                       choices=[SelectChoice("staff", _l("Staff")), SelectChoice("admin", _l("Administrator"))],
                       default="staff")
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="nb")


class RoomForm(Form):
    provider = SelectField(_l("Video service"), choices=[
        SelectChoice("pexip", "Join i helsenett (Pexip)"), SelectChoice("whereby", "Whereby"),
        SelectChoice("template", _l("Other (URL template)"))])
    key = StringField(_l("Short name (letters, digits, dashes)"), validators=[
        InputRequired(_l("Write a short name.")),
        Regexp(r"^[a-z0-9-]{1,30}$", message=_l("Use lower-case letters, digits and dashes only."))])
    label = StringField(_l("Name shown to staff"), validators=[InputRequired(_l("Write a name.")), Length(max=60)])
    node = StringField(_l("Pexip address (host)"), default="join.nhn.no", validators=[Optional(), Length(max=253)])
    alias = StringField(_l("Meeting room number or alias"), validators=[Optional(), Length(max=64)])
    autolock = BooleanField(_l("The room locks itself (autolås)"), default=True)
    link_style = SelectField(_l("Link style of the Pexip web app"), choices=[
        SelectChoice("webapp1", _l("Web App 1: /webapp/conference/… (Join i helsenett today)")),
        SelectChoice("webapp2", _l("Web App 2: /webapp/#/?conference=…")),
        SelectChoice("webapp3", _l("Web App 3: /webapp3/m/…"))], default="webapp1")
    subdomain = StringField(_l("Whereby subdomain"), validators=[Optional(), Length(max=63)])
    room = StringField(_l("Whereby room name"), validators=[Optional(), Length(max=100)])
    template = StringField(_l("URL template"), validators=[Optional(), Length(max=500)])


class OriginForm(Form):
    """A website that may show the embedded guides; checked in full by clinic_websites.normalise_origin."""

    origin = StringField(_l("Website address"), validators=[
        InputRequired(_l("Write the website's address, for example https://www.example.no.")),
        Length(max=clinic_websites.MAX_ORIGIN_LENGTH, message=_l("The address is too long."))])


class SectionForm(Form):
    text = TextAreaField(_l("Text"), validators=[
        Length(max=clinic_websites.MAX_SECTION_CHARS, message=_l("The text is too long. Shorten it."))])
