"""Weight of the installable app: what the service worker downloads once, after the page has loaded.

For each language: the worker's script, and every file it pre-caches (pages, offline page,
manifest, stylesheet, icons, the registration module), raw and gzip -9, as served by the app's
own routes through Flask's test client. Also what every patient and public page now carries: the
registration module and the three tags in <head>. Weight only, no timing. Run:
`.venv/bin/python bench/pwa_weight.py`.
"""
from __future__ import annotations

import gzip
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from patientapp import create_app, i18n  # noqa: E402


def sizes(body: bytes) -> tuple[int, int]:
    return len(body), len(gzip.compress(body, 9))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SECRET_KEY": "bench-" * 8, "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3"})
        app.extensions["patientapp.db"].upgrade()
        client = app.test_client()
        print("| language | worker script raw / gzip | pre-cached files | pre-cached raw / gzip |")
        print("|---|---|---|---|")
        for lang in i18n.LANGUAGES:
            script = client.get(f"/sw-{lang}.js").get_data()
            config = json.loads(script.decode().splitlines()[1].removeprefix("const CONFIG = ").removesuffix(";"))
            raw = packed = 0
            for entry in config["precache"]:
                body = client.get(entry.get("src", entry["url"]), headers={"Accept-Encoding": "identity"}).get_data()
                r, g = sizes(body)
                raw, packed = raw + r, packed + g
            s_raw, s_gz = sizes(script)
            print(f"| {lang} | {s_raw / 1024:.1f} / {s_gz / 1024:.1f} KB | {len(config['precache'])} "
                  f"| {raw / 1024:.1f} / {packed / 1024:.1f} KB |")
        module = (ROOT / "patientapp/static/js/pwa/register.js").read_bytes()
        page = client.get("/guide/before?lang=nb").get_data().decode()
        head = "\n".join(line for line in page.splitlines()
                         if 'rel="manifest"' in line or "apple-touch-icon" in line or "data-pa-sw" in line)
        head = head.split("<script nonce")[0]  # the pre-existing gate script shares the last line
        print(f"\nregistration module: {len(module)} / {sizes(module)[1]} bytes raw / gzip; "
              f"added to every page's <head>: {len(head.encode())} bytes raw")
        app.extensions["patientapp.db"].dispose()


if __name__ == "__main__":
    main()
