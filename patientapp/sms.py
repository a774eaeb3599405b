"""The invitation SMS: its neutral text, GSM-7 segment counting, phone numbers and gateways.

Pure standard library, so it can be tested without the app and used from a CLI or worker.
Sending is always an explicit staff action (SECURITY.md R8); nothing here sends on its own.
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import secrets
import threading
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from . import sanitise, timefmt
from .config import LOCAL_HOSTS as _LOOPBACK_NAMES

# A gateway or the outbox on this machine may also listen on IPv6 loopback.
LOCAL_HOSTS = _LOOPBACK_NAMES | {"::1"}

# --- Text -------------------------------------------------------------------------------------

SENDER_NAME_MAX = 40


def _clean_sender(name: str) -> str:
    """The sender name on one line, without control or bidi characters, at most 40 characters."""
    return sanitise.one_line(name)[:SENDER_NAME_MAX].rstrip()


def render_text(*, sender_name: str, starts_at: datetime, time_zone: str, link: str, template: str,
                locale: str = "nb", code: str = "", address: str = "") -> str:
    """The SMS body: neutral sender, local date and time, the link and the code that goes with it
    (links.code_of) with the address to type it at; nothing about the patient (R6)."""
    # Deliberately no parameter for a name, alias, department or note: what cannot be passed in
    # cannot leak into an SMS that a wrong number, a shared phone or a lock screen may show.
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware (stored as UTC)")
    if "%(link)s" not in template:
        raise ValueError("the SMS template must contain %(link)s")
    if not link or any(c.isspace() for c in link):
        raise ValueError("the link must be a single URL")
    # The day and time as the page and the letter write them in the patient's language.
    day, time = timefmt.local_day_and_time(starts_at, time_zone, locale)
    text = template % {
        "clinic": _clean_sender(sender_name),
        "date": day,
        "time": time,
        "link": link,
        "code": code,
        "address": address,
    }
    # One line whatever the translation does: a stray newline would only cost septets.
    return " ".join(text.split())


# --- GSM 03.38 and segments -------------------------------------------------------------------

# 3GPP TS 23.038 default alphabet, in code order 0x00-0x7F, without 0x1B (the escape to the
# extension table, which is not a character of its own).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
) - {"\x1b"}
# Extension table: each is sent as ESC + code, so it costs two septets.
GSM_EXTENSION = frozenset("^{}\\[~]|€")

GSM7, UCS2 = "GSM-7", "UCS-2"
_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}  # (single message, each part of a concatenated one)


def encoding(text: str) -> str:
    """"GSM-7" if every character is in the default alphabet or its extension, else "UCS-2"."""
    return GSM7 if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text) else UCS2


def segments(text: str) -> tuple[str, int, int]:
    """(encoding, number of segments, length in septets or UTF-16 code units)."""
    enc = encoding(text)
    if enc == GSM7:
        units = [2 if c in GSM_EXTENSION else 1 for c in text]
    else:
        units = [2 if ord(c) > 0xFFFF else 1 for c in text]  # astral characters are surrogate pairs
    single, part = _LIMITS[enc]
    total = sum(units)
    if total <= single:
        return enc, 1, total
    # Pack greedily: phones never split an escape sequence or a surrogate pair across parts,
    # so a plain ceil(total / part) can undercount by one.
    count, used = 1, 0
    for unit in units:
        if used + unit > part:
            count, used = count + 1, 0
        used += unit
    return enc, count, total


# --- Phone numbers ----------------------------------------------------------------------------

class InvalidPhone(ValueError):
    """The phone number cannot be read; the message never repeats it (R50)."""


_SEPARATORS = re.compile(r"[\s\-./()]")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() would also accept "٣" or "³"


def normalise_phone(raw: str) -> str:
    """A Norwegian or international number in E.164 ("+4791234567"), or InvalidPhone."""
    if not isinstance(raw, str) or len(raw) > 40:
        raise InvalidPhone("not a phone number")
    compact = _SEPARATORS.sub("", raw)
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith("00"):
        digits = compact[2:]
    else:
        # National form: Norwegian numbers have 8 digits and never start with 0.
        if not _DIGITS.fullmatch(compact) or len(compact) != 8 or compact[0] == "0":
            raise InvalidPhone("a Norwegian number has 8 digits and does not start with 0")
        return "+47" + compact
    if not _DIGITS.fullmatch(digits) or not 7 <= len(digits) <= 15 or digits[0] == "0":
        raise InvalidPhone("an international number has a country code and 7 to 15 digits")
    if digits.startswith("47") and (len(digits) != 10 or digits[2] == "0"):
        raise InvalidPhone("a Norwegian number has 8 digits and does not start with 0")
    return "+" + digits


def mask_phone(e164: str) -> str:
    """Only the last three digits, for logs and the outbox: "+47 ••••• 567"."""
    digits = "".join(c for c in str(e164) if c in "0123456789")
    if len(digits) < 7:
        return "•••"
    if digits.startswith("47") and len(digits) == 10:
        return "+47 " + "•" * 5 + " " + digits[-3:]
    # Elsewhere we do not know how long the country code is, so hide it too.
    return "+" + "•" * (len(digits) - 3) + " " + digits[-3:]


# --- Gateways ---------------------------------------------------------------------------------

class SendError(Exception):
    """The SMS was not sent; the reason is short and holds neither the number nor the text (R50)."""


@runtime_checkable
class Gateway(Protocol):
    """Something that sends one SMS and returns the provider's message id."""

    def send(self, to: str, text: str) -> str:
        """Send `text` to `to`; return a message id or raise SendError."""
        ...


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# One lock for every outbox instance: the app may build a new gateway per request.
_OUTBOX_LOCK = threading.Lock()


class OutboxRefused(SendError):
    """The development outbox will not run for a public https address: production needs a real gateway."""


def outbox_allowed(config: dict) -> bool:
    """The outbox writes working links to a file any admin may read: only for development on this
    machine (an http or localhost address) unless SMS_OUTBOX_ALLOWED says otherwise (R8, R28)."""
    if config.get("SMS_OUTBOX_ALLOWED"):
        return True
    base = urlsplit(str(config.get("PUBLIC_BASE_URL") or ""))
    return base.scheme != "https" or (base.hostname or "") in LOCAL_HOSTS


class OutboxGateway:
    """Development only: writes messages to a JSON-lines file; the text holds the invitation link, so never use
    in production.

    Each line names the clinic that sent it, and each clinic reads only its own lines."""

    def __init__(self, path: Path, clinic_id: int | None = None, sender: str | None = None):
        self.path = Path(path)
        self.clinic_id = clinic_id
        self.sender = sender

    def send(self, to: str, text: str) -> str:
        """Append one JSON line with the masked number; the full number is never written (R53)."""
        masked = mask_phone(normalise_phone(to))
        message_id = "outbox-" + secrets.token_hex(8)
        record = {"id": message_id, "at": _utc_now(), "clinic": self.clinic_id, "sender": self.sender,
                  "to": masked, "text": text,
                  "segments": segments(text)[1]}
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            with _OUTBOX_LOCK:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # One O_APPEND write per line keeps lines whole across worker processes too;
                # 0600 because the lines hold working invitation links.
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)  # `flask purge` may be rewriting the file (prune)
                    os.write(fd, line)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise SendError(f"outbox not writable ({type(exc).__name__})") from None
        return message_id

    def read(self, limit: int = 20) -> list[dict]:
        """This clinic's last `limit` messages (every clinic's without one), newest first; unreadable
        lines are skipped."""
        if limit <= 0:
            return []
        try:
            with self.path.open(encoding="utf-8") as lines:
                records = deque((r for r in map(_parse_line, lines)
                                 if r is not None and (self.clinic_id is None or r.get("clinic") == self.clinic_id)),
                                maxlen=limit)
        except FileNotFoundError:
            return []
        return list(reversed(records))


    def prune(self, keep: Callable[[list[dict]], list[dict]]) -> int:
        """Rewrite the file with only the records `keep` returns (retention.py); the number dropped.

        The file stays locked from reading to rewriting, so a message sent meanwhile waits and is
        appended afterwards. Unreadable lines are dropped too.
        """
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return 0
        with os.fdopen(fd, "r+", encoding="utf-8") as file:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX)
            lines = file.readlines()
            records = [r for r in map(_parse_line, lines) if r is not None]
            kept = keep(records)
            if len(kept) == len(lines):
                return 0
            file.seek(0)
            file.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in kept)
            file.truncate()
            return len(lines) - len(kept)


def _parse_line(line: str) -> dict | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would replay the Authorization header (and, as a GET, lose the message) to
    # wherever the answer points; a provider API that redirects is misconfigured anyway.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_MAX_ANSWER = 64 * 1024


class HttpGateway:
    """POSTs {"to", "text", "sender"} as JSON to a provider's HTTPS endpoint."""

    def __init__(self, url: str, username: str | None = None, password: str | None = None,
                 token: str | None = None, sender: str | None = None, timeout: float = 10):
        parts = urlsplit(url or "")
        if not parts.hostname or parts.username or parts.password:
            raise ValueError("SMS gateway URL needs a host and no credentials in it")
        # The body holds a number and a working link: plain HTTP only for a local test server.
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS):
            raise ValueError("SMS gateway URL must use https")
        if token and (username or password):
            raise ValueError("SMS gateway: use either a username and password or a token")
        if password and not username:
            raise ValueError("SMS gateway: a password needs a username")
        self.url, self.sender, self.timeout = url, sender, timeout
        self._authorization = None
        if token:
            self._authorization = "Bearer " + token
        elif username:
            pair = f"{username}:{password or ''}".encode()
            self._authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        self._opener = urllib.request.build_opener(_NoRedirects)

    def __repr__(self) -> str:
        return f"HttpGateway({urlsplit(self.url).netloc!r})"  # never the secrets

    def send(self, to: str, text: str) -> str:
        """POST the message; return the provider's id (or a generated one) or raise SendError."""
        body = json.dumps({"to": normalise_phone(to), "text": text, "sender": self.sender}).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._authorization:
            headers["Authorization"] = self._authorization
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        # Reasons name the status or the exception class only: providers often echo the number
        # and text in error bodies, and these messages end up in logs (R50).
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, answer = response.status, response.read(_MAX_ANSWER)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise SendError(f"gateway answered HTTP {exc.code}") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise SendError("gateway timed out") from None
            raise SendError(f"gateway unreachable ({type(exc.reason).__name__})") from None
        except TimeoutError:
            raise SendError("gateway timed out") from None
        except OSError as exc:
            raise SendError(f"gateway connection failed ({type(exc).__name__})") from None
        if not 200 <= status < 300:
            raise SendError(f"gateway answered HTTP {status}")
        return _message_id(answer) or "http-" + secrets.token_hex(8)


def _message_id(answer: bytes) -> str | None:
    try:
        data = json.loads(answer)
    except ValueError:
        return None
    if isinstance(data, dict):
        for key in ("id", "message_id"):
            value = data.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
                return str(value)
    return None


def outbox_path(instance_path: Path) -> Path:
    """Where the development outbox writes: the instance folder."""
    return Path(instance_path) / "sms-outbox.jsonl"


def gateway_from_config(config: dict, instance_path: Path, clinic_id: int | None = None,
                        sender: str | None = None) -> Gateway:
    """The configured gateway: the development outbox unless SMS_GATEWAY is "http"; OutboxRefused
    for the outbox on a public https address (outbox_allowed). `sender`: the clinic's own SMS sender,
    else the deployment's SMS_SENDER."""
    kind = str(config.get("SMS_GATEWAY") or "outbox").strip().lower()
    if kind == "outbox":
        if not outbox_allowed(config):
            raise OutboxRefused("the development outbox does not run on a public address")
        return OutboxGateway(outbox_path(instance_path), clinic_id, sender or config.get("SMS_SENDER") or None)
    if kind == "http":
        if not config.get("SMS_HTTP_URL"):
            raise ValueError("SMS_GATEWAY=http needs SMS_HTTP_URL")
        # Empty environment values mean "not set".
        return HttpGateway(
            config["SMS_HTTP_URL"],
            username=config.get("SMS_HTTP_USERNAME") or None,
            password=config.get("SMS_HTTP_PASSWORD") or None,
            token=config.get("SMS_HTTP_TOKEN") or None,
            sender=sender or config.get("SMS_SENDER") or None,
        )
    raise ValueError(f"unknown SMS_GATEWAY {kind!r}; use 'outbox' or 'http'")
