"""The installable, offline-capable app: what the service worker keeps, its version, the manifest.

Plain values only; the routes that serve them are in `pwa/views.py`. What may be stored on a
patient's device is decided here, in one place (SECURITY.md R57–R58):

- Kept: for the patient's one language, the start page, the guide index, every guide (consent and
  privacy included) with their pictures, the offline page, the manifest, the stylesheet, the icons and the
  registration script. All public; fetched without cookies.
- Never kept, never even answered from a cache: the link paths `/i/` and `/d/`, `/visit…` (the
  patient's own pages), `/api/` (answers about one patient) and `/staff` (the workspace).
- One exception, on purpose: the offline page may carry the *clinic's* phone number. It reaches
  the device only from a page of a working invitation, and it is the clinic's public switchboard
  number, not data about the patient; no clinic name, token, reference or room goes with it, only
  the copy's own expiry. Which clinic someone visits can still be sensitive, so the copy is kept no
  longer than the link works (appointment end plus the grace period, rounded up to the hour so it
  says no more than the SMS already on the phone) and is replaced by the generic page as soon as
  a visit page finds the invitation gone.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from .. import paths
from ..guides import SLUGS
from ..i18n import Language
from ..pictures import PICTURES

SOURCE = Path(__file__).with_name("service-worker.js")

# Static files every kept page needs, by source name (the URL is fingerprinted by assets).
STATIC_FILES = (
    "css/app.css",
    "js/pwa/register.js",
    # A kept guide's and the landing page's "Listen" and "Print" (components/page-tools.html).
    "js/shared/listen.js",
    "js/shared/print.js",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/maskable-192.png",
    "icons/maskable-512.png",
    # The guides' drawings (pictures.py): a kept guide must show its pictures offline too.
    *(picture.path for picture in PICTURES.values()),
)
# Paths the service worker leaves alone. Navigations to the first three may be answered with the
# offline page when the network fails, but their answers are never stored.
PRIVATE_PREFIXES = (paths.LINK, paths.DEVICE_LINK, paths.VISIT)
UNTOUCHED_PREFIXES = (paths.PATIENT_API, paths.STAFF, paths.EMBED, paths.DEV,
                      "/sw-", "/csp-report", "/healthz", "/readyz")
THEME_COLOUR = "#0b4f5c"
BACKGROUND_COLOUR = "#ffffff"
# Response header on a personalised offline page: until when (Unix seconds) it may be kept.
CONTACT_UNTIL_HEADER = "Patientapp-Contact-Until"


def contact_until(link_ends: datetime) -> int:
    """When the clinic's number must leave the device: the link's end, rounded up to the hour."""
    if link_ends.tzinfo is None:  # SQLite gives naive UTC
        link_ends = link_ends.replace(tzinfo=UTC)
    seconds = int(link_ends.timestamp())
    return -(-seconds // 3600) * 3600


def page_paths(home: str, guide_index: str, guide_path) -> list[str]:
    """The public pages kept for offline reading, in the order they are fetched."""
    return [home, guide_index] + [guide_path(slug) for slug in SLUGS]


def version(rendered: list[tuple[str, bytes]]) -> str:
    """A digest of everything kept, as served (URL and body), and of the worker's own code.

    Any change to a guide, a template, a translation or a static file changes it, which makes the
    worker's script differ byte for byte, so browsers install the new version.
    """
    digest = hashlib.sha256(SOURCE.read_bytes())
    for url, body in rendered:
        digest.update(url.encode() + b"\0" + hashlib.sha256(body).digest())
    return digest.hexdigest()[:16]


def worker_script(config: dict) -> str:
    """The service worker: its configuration as one JSON constant, then its code, unchanged."""
    return ("// Generated per language by patientapp/pwa/views.py; the code is patientapp/pwa/service-worker.js\n"
            f"const CONFIG = {json.dumps(config, ensure_ascii=False, sort_keys=True)};\n"
            + SOURCE.read_text(encoding="utf-8"))


def manifest(lang: Language, *, name: str, short_name: str, description: str, start_url: str,
             icons: dict[str, str]) -> dict:
    """The web app manifest for one language: Chromium's installability needs name, start_url,
    display, and a 192 and a 512 pixel icon; maskable ones look right in round launchers."""
    sizes = {"icons/icon-192.png": ("192x192", "any"), "icons/icon-512.png": ("512x512", "any"),
             "icons/maskable-192.png": ("192x192", "maskable"), "icons/maskable-512.png": ("512x512", "maskable")}
    return {
        # One app whatever the language it was installed in.
        "id": "/",
        "name": name,
        "short_name": short_name,
        "description": description,
        "lang": lang.code,
        "dir": lang.direction,
        "start_url": start_url,
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [{"src": icons[name], "sizes": size, "type": "image/png", "purpose": purpose}
                  for name, (size, purpose) in sizes.items()]
        + [{"src": icons["icons/icon.svg"], "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
