"""Screenshots of the patient pages on a phone-sized viewport, for review: `python scripts/screenshots.py [lang …]`.

Runs the app on a temporary SQLite database with demo data; writes PNGs to screenshots/.
"""
from __future__ import annotations

import logging
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from patientapp import create_app  # noqa: E402
from patientapp.cli import create_demo  # noqa: E402


def main(langs: list[str], full_page: bool = True) -> None:
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/shots.sqlite3", "SECRET_KEY": "screenshots" * 4})
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base = f"http://localhost:{server.server_port}"
        app.config["PUBLIC_BASE_URL"] = base
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with app.app_context():
            app.extensions["patientapp.db"].upgrade()
            links = {row["language"]: row["link"] for row in create_demo()}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            for lang in langs:
                for name, viewport, mobile in (("phone", {"width": 390, "height": 844}, True),
                                               ("desktop", {"width": 1280, "height": 900}, False)):
                    context = browser.new_context(viewport=viewport, is_mobile=mobile, device_scale_factor=1)
                    page = context.new_page()
                    page.goto(links[lang])
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=out / f"visit-{lang}-{name}.png", full_page=full_page)
                    if name == "phone":
                        page.screenshot(path=out / f"visit-{lang}-{name}-top.png")
                        page.goto(f"{base}/guide/blocked")
                        page.screenshot(path=out / f"guide-{lang}-{name}-top.png")
                    context.close()
            browser.close()
        server.shutdown()
    print(f"Screenshots in {out}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["nb", "ar"])
