"""The clinic's own details, set by its administrators: the name patients read, the phone number they
call, the time zone appointments are written in, the SMS sender, the usual duration and the routine
when video fails. Validated here, whatever form or command changes them. No Flask here."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from . import invitations, sanitise, sms
from .models import Clinic

# Where Norwegian clinics are, first; any IANA zone is accepted (a clinic abroad, a test setup).
COMMON_TIME_ZONES = ("Europe/Oslo", "Arctic/Longyearbyen", "Europe/Stockholm", "Europe/Copenhagen",
                     "Europe/Helsinki", "Europe/London", "UTC")
# An alphanumeric SMS sender: what operators accept everywhere (GSM letters and digits, at most 11,
# at least one letter, so that it is not taken for a number to reply to).
_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 .\-]{2,11}$")


class Invalid(ValueError):
    def __init__(self, field: str, code: str):
        super().__init__(f"{field}: {code}")
        self.field, self.code = field, code


@dataclass(frozen=True)
class Settings:
    display_name: str
    phone: str
    time_zone: str
    sms_sender: str | None
    default_duration: int
    emergency_url: str | None


def clean(settings: Settings) -> Settings:
    """The settings as they will be stored, or Invalid naming the field and the reason."""
    name = sanitise.one_line(settings.display_name or "")
    if not 2 <= len(name) <= 80:
        raise Invalid("display_name", "name-length")
    try:
        phone = sms.normalise_phone(settings.phone or "")
    except sms.InvalidPhone:
        raise Invalid("phone", "phone") from None
    if settings.time_zone not in available_timezones():
        raise Invalid("time_zone", "time-zone")
    sender = sanitise.one_line(settings.sms_sender or "") or None
    if sender is not None and not _SENDER.fullmatch(sender):
        raise Invalid("sms_sender", "sender")
    duration = settings.default_duration
    if not isinstance(duration, int) or not invitations.MIN_DURATION <= duration <= invitations.MAX_DURATION:
        raise Invalid("default_duration", "duration")
    url = (settings.emergency_url or "").strip() or None
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or parts.username or parts.password or len(url) > 300:
            raise Invalid("emergency_url", "url")
    return Settings(name, phone, settings.time_zone, sender, settings.default_duration, url)


def update(clinic: Clinic, settings: Settings) -> list[str]:
    """Store the cleaned settings; returns the names of the fields that changed (for the audit log)."""
    cleaned = clean(settings)
    changed = [f.name for f in fields(Settings) if getattr(clinic, f.name) != getattr(cleaned, f.name)]
    for name in changed:
        setattr(clinic, name, getattr(cleaned, name))
    return changed
