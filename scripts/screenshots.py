"""Screenshots of the patient pages on a phone and a desktop, for review: `python scripts/screenshots.py [lang …]`.

Runs the app on a temporary SQLite database with demo data; writes PNGs to screenshots/.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from patientapp.demo import demo_site  # noqa: E402

VIEWPORTS = (("phone", {"width": 390, "height": 844}, True), ("desktop", {"width": 1280, "height": 900}, False))


def main(langs: list[str]) -> None:
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, demo_site(tmp) as (base, links), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for lang in langs:
            for name, viewport, mobile in VIEWPORTS:
                context = browser.new_context(viewport=viewport, is_mobile=mobile)
                page = context.new_page()
                page.goto(links[lang])
                page.wait_for_load_state("networkidle")
                page.screenshot(path=out / f"visit-{lang}-{name}.png", full_page=True)
                if name == "phone":
                    page.screenshot(path=out / f"visit-{lang}-{name}-top.png")
                    page.goto(f"{base}/guide/blocked")
                    page.screenshot(path=out / f"guide-{lang}-{name}-top.png")
                context.close()
        browser.close()
    print(f"Screenshots in {out}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["nb", "ar"])
