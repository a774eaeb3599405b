"""Forms of the clinic's workspace (Flask-WTF: CSRF and validation, messages in the staff member's language)."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from .. import clinic_websites, i18n, invitations

LANGUAGE_CHOICES = [SelectChoice(code, lang.name) for code, lang in i18n.LANGUAGES.items()]


def no_national_id(form, field):
    """Never a national ID number in a label (R52); the rule is the invitation module's."""
    if field.data and invitations.looks_like_national_id(field.data):
        raise ValidationError(_l("Do not write a national ID number. Use initials or a reference."))


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
        NumberRange(5, 240, _l("The duration must be between 5 and 240 minutes."))])
    language = SelectField(_l("The patient's language"), choices=LANGUAGE_CHOICES, default="nb")
    label = StringField(_l("Label for staff (initials or reference)"), validators=[
        Optional(), Length(max=invitations.MAX_LABEL_LENGTH, message=_l("At most 20 characters.")), no_national_id])
    room = SelectField(_l("Video room"), choices=[], validate_choice=True)


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
