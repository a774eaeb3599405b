"""An appointment as a patient sees it (landing page, waiting room, printed letter): plain values, no Flask."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from . import timefmt
from .models import Invitation


@dataclass(frozen=True)
class Phone:
    display: str  # "+47 12 34 56 78"
    href: str  # "tel:+4712345678"


def phone(number: str) -> Phone:
    """Group a Norwegian number in pairs for reading aloud; anything else is shown as stored."""
    digits = re.sub(r"[^\d+]", "", number)
    national = digits[3:] if digits.startswith("+47") else digits
    if len(national) == 8 and national.isdigit():
        display = "+47 " + " ".join(national[i:i + 2] for i in range(0, 8, 2))
        return Phone(display, "tel:+47" + national)
    return Phone(number, "tel:" + digits)


@dataclass(frozen=True)
class Contact:
    """A clinic as a printed sheet names it: its neutral name and its number."""

    name: str
    phone: Phone


@dataclass(frozen=True)
class Landing:
    clinic_name: str
    phone: Phone
    time: timefmt.AppointmentTime
    ended: bool  # the appointment is over but the link still works (grace period)


def landing(invitation: Invitation, locale: str, now: datetime) -> Landing:
    clinic = invitation.clinic
    return describe(clinic.display_name, clinic.phone, clinic.time_zone, invitation.starts_at, invitation.ends_at,
                    locale, now)


def describe(clinic_name: str, clinic_phone: str, time_zone: str, starts_at: datetime, ends_at: datetime,
             locale: str, now: datetime) -> Landing:
    """The appointment as the patient's pages show it, from plain values (link_memory.Link keeps them)."""
    return Landing(
        clinic_name=clinic_name,
        phone=phone(clinic_phone),
        time=timefmt.describe(starts_at, ends_at, time_zone, locale, now),
        ended=now > ends_at,
    )
