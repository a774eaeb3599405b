"""Video rooms: the settings a clinic saves and the URL a patient is handed over to on admission.

Pure Python, no Flask. Every URL is checked against the host allowlist twice: when a room is
saved and again when a patient is sent to it (R11). Host secrets never live here (R15).
"""
from __future__ import annotations

import re
import string
import unicodedata
from urllib.parse import quote, urlencode, urlsplit

from . import sanitise
from .config import DEFAULT_ROOM_HOSTS, LOCAL_HOSTS

DEFAULT_ALLOWLIST = list(DEFAULT_ROOM_HOSTS)
PROVIDERS = ("pexip", "whereby", "template")
# The guide to each provider's own screens, after the hand-off (content/<lang>/<slug>.md). Join i
# helsenett is Pexip's web app; a template room (a clinic's own service) has none.
PROVIDER_GUIDES = {"pexip": "video-join", "whereby": "video-whereby"}
# Whereby's documented `lang` values include English, Norwegian ("nb") and Polish among our six
# languages. Arabic, Somali and Urdu are left out of the URL so that Whereby falls back to the
# browser's language instead of erroring.
WHEREBY_LANGS = {"en", "nb", "pl"}
# How a Pexip node names a meeting in its web app's URL. Web App 1 (up to Pexip Infinity v24, and what
# join.nhn.no answers today) is the default; v25+ serve Web App 2 under /webapp/#/ and Web App 3 under
# /webapp3/m/. A clinic picks its node's style per room and checks the link before going live (README).
PEXIP_LINK_STYLES = ("webapp1", "webapp2", "webapp3")
# Host-side secrets: a patient who got one could run the meeting (R15). Compared after
# lower-casing and dropping "_"/"-", so "host-room-url" and "HostPin" are caught as well.
SECRET_KEYS = {"hostroomurl", "hostpin", "hostkey"}

KEY = re.compile(r"[a-z0-9-]{1,30}")


def guide_for(room: dict | None) -> str | None:
    """The slug of the guide to this room's video service, if we have one."""
    return PROVIDER_GUIDES.get((room or {}).get("provider", ""))
HOST = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*")
ALIAS = re.compile(r"[A-Za-z0-9._@-]{1,64}")
SUBDOMAIN = re.compile(r"[a-z0-9-]{1,63}")
WHEREBY_ROOM = re.compile(r"[A-Za-z0-9_-]{1,100}")
# Printable ASCII minus the backslash: anything else (spaces, controls, Unicode look-alikes) is
# either stripped or reinterpreted by browsers and urlsplit, so parsers could disagree on the host.
URL_CHARS = re.compile(r"[!-\[\]-~]+")
MAX_URL = 2000
MAX_NAME = 80
TEMPLATE_FIELDS = {"name", "lang"}


class RoomError(ValueError):
    """A room setting or URL that must not be saved or followed; `code` names the reason."""

    def __init__(self, code: str, message: str | None = None):
        super().__init__(message or code)
        self.code = code


def host_allowed(host: str, allowlist: list[str]) -> bool:
    """Whether `host` is an exact entry, or one or more labels below a `*.suffix` entry."""
    if isinstance(allowlist, str):
        raise TypeError("allowlist must be a list of hosts, not a string")
    if not isinstance(host, str):
        return False
    host = host.lower()
    # The pattern also rules out userinfo ("@"), ports (":"), empty labels and trailing dots.
    if not HOST.fullmatch(host):
        return False
    for entry in allowlist:
        entry = entry.lower()
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and len(host) > len(entry) - 1:
                return True
        elif host == entry:
            return True
    return False


def check_url(url: str, allowlist: list[str], allow_local: bool = False) -> str:
    """Return `url` if a patient may be sent there, else raise RoomError."""
    if not isinstance(url, str) or not url:
        raise RoomError("url", "The URL is empty.")
    if len(url) > MAX_URL:
        raise RoomError("length", "The URL is too long.")
    if not URL_CHARS.fullmatch(url):
        raise RoomError("chars", "The URL contains spaces, control characters or backslashes.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RoomError("url", "The URL cannot be parsed.") from exc
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not url.lower().startswith(parts.scheme + "://"):
        raise RoomError("scheme", "The URL must start with https://.")
    if "@" in parts.netloc:
        raise RoomError("userinfo", "The URL must not contain a user name or password.")
    # Development and tests only: a fake room served by the test suite on this machine.
    if allow_local and host in LOCAL_HOSTS:
        return url
    if parts.scheme != "https":
        raise RoomError("scheme", "The URL must start with https://.")
    if port not in (None, 443):
        raise RoomError("port", "The URL must use the default port.")
    if parts.netloc.lower() not in (host, host + ":443") or not host_allowed(host, allowlist):
        raise RoomError("host", "The URL's host is not on the list of video providers.")
    return url


def _text(room: dict, name: str, pattern: re.Pattern | None = None, max_len: int = 200) -> str:
    value = room.get(name)
    if not isinstance(value, str):
        raise RoomError("key" if name == "key" else "field", f"'{name}' is missing.")
    value = value.strip()
    bad_chars = any(unicodedata.category(c).startswith("C") for c in value)
    if not value or len(value) > max_len or bad_chars or (pattern and not pattern.fullmatch(value)):
        raise RoomError("key" if name == "key" else "field", f"'{name}' is not valid.")
    return value


def _check_template(template: str) -> None:
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise RoomError("template", "The template has an unbalanced brace.") from exc
    for _, field, spec, conversion in fields:
        if field is not None and (field not in TEMPLATE_FIELDS or spec or conversion):
            raise RoomError("template", "Only {name} and {lang} may be used in the template.")
    # Patient-chosen text must never decide where the URL goes, only what it carries.
    _, sep, rest = template.split("{", 1)[0].partition("://")
    if "{" in template and not (sep and any(c in rest for c in "/?#")):
        raise RoomError("template", "Placeholders may only appear after the host name.")


def validate_room(room: dict, allowlist: list[str], allow_local: bool = False) -> dict:
    """Return the room's known fields, cleaned, or raise RoomError; for saving (R11)."""
    if not isinstance(room, dict):
        raise RoomError("field", "A room must be an object.")
    for name in room:
        if str(name).lower().replace("_", "").replace("-", "") in SECRET_KEYS:
            raise RoomError("secret", "Host links and PINs must not be stored with the room.")
    provider = room.get("provider")
    if provider not in PROVIDERS:
        raise RoomError("provider", "Unknown video provider.")
    clean = {"key": _text(room, "key", KEY), "label": _text(room, "label", max_len=60),
             "provider": provider}
    if provider == "pexip":
        clean["node"] = _text(room, "node", max_len=253).lower()
        if not HOST.fullmatch(clean["node"]):
            raise RoomError("host", "'node' must be a host name.")
        clean["alias"] = _text(room, "alias", ALIAS)
        autolock = room.get("autolock", False)
        if not isinstance(autolock, bool):
            raise RoomError("field", "'autolock' must be true or false.")
        clean["autolock"] = autolock
        style = room.get("link_style") or PEXIP_LINK_STYLES[0]
        if style not in PEXIP_LINK_STYLES:
            raise RoomError("field", "'link_style' is not a known Pexip web app.")
        clean["link_style"] = style
    elif provider == "whereby":
        clean["subdomain"] = _text(room, "subdomain", SUBDOMAIN)
        clean["room"] = _text(room, "room", WHEREBY_ROOM)
    else:
        clean["template"] = _text(room, "template", max_len=MAX_URL)
        _check_template(clean["template"])
    check_url(_build(clean, "Test", "nb"), allowlist, allow_local)
    return clean


def clinic_rooms(settings: dict | None) -> list[dict]:
    """The room entries in a clinic's room settings (stored JSON: anything that is not a dict is skipped)."""
    return [room for room in (settings or {}).get("rooms", []) if isinstance(room, dict)]


def find_room(settings: dict | None, key: str | None) -> dict | None:
    """The clinic's room with this key, if there is one."""
    return next((room for room in clinic_rooms(settings) if room.get("key") == key), None) if key else None


def validate_rooms(rooms: list, allowlist: list[str], allow_local: bool = False) -> list[dict]:
    """Validate a clinic's `room_settings["rooms"]`; keys must be unique within the clinic."""
    if not isinstance(rooms, list):
        raise RoomError("field", "Rooms must be a list.")
    clean = [validate_room(room, allowlist, allow_local) for room in rooms]
    if len({room["key"] for room in clean}) != len(clean):
        raise RoomError("key", "Two rooms have the same key.")
    return clean


def _build(room: dict, name: str, lang: str) -> str:
    provider = room["provider"]
    if provider == "pexip":
        query = {"name": name, "role": "guest", "callType": "video"}
        alias = quote(room["alias"], safe="@")  # "@" stays as it is in Pexip's own links (alias@domain)
        style = room.get("link_style") or PEXIP_LINK_STYLES[0]
        if style == "webapp2":
            return f"https://{room['node']}/webapp/#/?{urlencode({'conference': room['alias'], **query}, safe='@')}"
        if style == "webapp3":
            return f"https://{room['node']}/webapp3/m/{alias}?{urlencode(query)}"
        return f"https://{room['node']}/webapp/conference/{alias}?{urlencode(query)}"
    if provider == "whereby":
        params = {"displayName": name} | ({"lang": lang} if lang in WHEREBY_LANGS else {})
        return f"https://{room['subdomain']}.whereby.com/{room['room']}?{urlencode(params)}"
    return room["template"].format(name=quote(name, safe=""), lang=quote(lang, safe=""))


def room_url(room: dict, display_name: str, lang: str, allowlist: list[str],
             allow_local: bool = False) -> str:
    """The URL a patient is sent to on admission, checked again at redirect time (R11)."""
    if not isinstance(display_name, str) or not isinstance(lang, str):
        raise RoomError("field", "Display name and language must be text.")
    # The stored JSON may have been edited behind the settings form, so validate it again.
    clean = validate_room(room, allowlist, allow_local)
    # The name is shown to the clinician in the call: printable text on one line, not a payload.
    name = sanitise.one_line(display_name)[:MAX_NAME]
    return check_url(_build(clean, name, lang.strip()), allowlist, allow_local)


def warnings(room: dict) -> list[str]:
    """Codes for things staff should be warned about in this room's settings."""
    found = []
    if isinstance(room, dict) and room.get("provider") == "pexip" and room.get("autolock") is not True:
        found.append("pexip-not-autolock")  # NHN: patients should only meet autolås rooms (R15)
    return found
