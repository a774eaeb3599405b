"""The equipment check as the server sees it: only a summary of results, never media (R56).

The checks themselves run in the patient's browser (static/js/check/). What comes back is one
word per check, which the clinic sees next to the invitation.
"""
from __future__ import annotations

from datetime import datetime

from .models import Invitation

CHECKS = ("browser", "camera", "microphone", "speaker", "light", "network", "battery")
RESULTS = ("pending", "ok", "warn", "fail")

# Which guide helps with a problem in each check: the page links it, the clinic's view can too.
GUIDE_FOR = {
    "browser": "in-app-browser",
    "camera": "no-picture",
    "microphone": "no-sound",
    "speaker": "no-sound",
    "light": "poor-light",
    "network": "poor-connection",
    "battery": "before",
}

# Thresholds, mirrored in the browser modules and explained in the README.
NETWORK_GOOD_RTT_MS = 300  # Daily: below 300 ms round trip
NETWORK_GOOD_MBPS = 1.1  # Daily: 1.1 Mbit/s down is enough for a 1:1 call
NETWORK_POOR_MBPS = 0.7  # Daily: below 0.7 Mbit/s video suffers
DOWNLOAD_SAMPLE_BYTES = 256 * 1024
MAX_DOWNLOAD_BYTES = 1024 * 1024


class InvalidSummary(ValueError):
    pass


def parse_summary(payload: object) -> dict[str, str]:
    """Accept {check: result} for known checks and results only; anything else is refused whole."""
    if not isinstance(payload, dict) or not payload or len(payload) > len(CHECKS):
        raise InvalidSummary("expected an object of check results")
    summary = {}
    for check, result in payload.items():
        if check not in CHECKS or result not in RESULTS:
            raise InvalidSummary("unknown check or result")
        summary[check] = result
    return summary


def overall(summary: dict[str, str]) -> str:
    """'fail' if any check failed, else 'warn' if any warned, else 'pending' if any is open, else 'ok'."""
    for level in ("fail", "warn", "pending"):
        if level in summary.values():
            return level
    return "ok"


def record(invitation: Invitation, summary: dict[str, str], now: datetime) -> None:
    invitation.check_summary = summary
    invitation.checked_at = now
