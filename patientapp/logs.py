"""Logging that never writes a link token or signed link (R5, R50)."""
from __future__ import annotations

import logging
import re

_SECRET_PATHS = re.compile(r"/(i|d)/[^\s\"'?#/]+")


def redact(text: str) -> str:
    return _SECRET_PATHS.sub(lambda m: f"/{m.group(1)}/<redacted>", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with link tokens replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(level: str = "INFO") -> None:
    redactor = RedactingFilter()
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", "patientapp"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(redactor)
    logging.getLogger("patientapp").setLevel(level)
