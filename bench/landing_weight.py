"""Weight of the patient's pages: what a phone downloads, raw and gzip-compressed.

Opens the SMS link in Chromium on a phone-sized viewport (390×844), records every response the
landing page needs, and reports bytes by type. The compressed figure is gzip -9 of each body: for
static files exactly what the app sends (assets.py precompresses them), for HTML what the TLS proxy
in front of the app would send.
Run: `make bench` (or `.venv/bin/python bench/landing_weight.py`). Loopback only; bounded in time.
"""
from __future__ import annotations

import gzip
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from patientapp.demo import demo_site  # noqa: E402

KIND = {"document": "HTML", "stylesheet": "CSS", "script": "JS", "image": "images", "font": "fonts"}


def measure(page, url: str) -> dict[str, dict[str, int]]:
    bodies: dict[str, tuple[str, bytes]] = {}

    def record(response):
        try:
            kind = "probe" if "/api/check/" in response.url else KIND.get(response.request.resource_type, "other")
            bodies[response.url] = (kind, response.body())
        except Exception:  # redirects have no body
            pass

    page.on("response", record)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", record)
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"files": 0, "raw": 0, "gzip": 0})
    for kind, body in bodies.values():
        # The network check's own test download is measured apart: it is the measurement, not the page.
        for key in (kind,) if kind == "probe" else (kind, "total"):
            totals[key]["files"] += 1
            totals[key]["raw"] += len(body)
            totals[key]["gzip"] += len(gzip.compress(body, 9))
    return dict(totals)


def check_js() -> dict[str, dict[str, int]]:
    """Every module of the equipment check, including the ones loaded only after a button press."""
    total = {"files": 0, "raw": 0, "gzip": 0}
    for path in sorted((ROOT / "patientapp/static/js/check").glob("*.js")):
        body = path.read_bytes()
        total["files"] += 1
        total["raw"] += len(body)
        total["gzip"] += len(gzip.compress(body, 9))
    return {"JS": total, "total": total}


def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory() as tmp, demo_site(tmp) as (base, links), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for lang in ("nb", "ar"):
            for name, url in (("landing", links[lang]), ("guide", f"{base}/guide/no-sound?lang={lang}"),
                              ("check", f"{base}/check?lang={lang}")):
                context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
                results[f"{name} ({lang})"] = measure(context.new_page(), url)
                context.close()
        results["check JS, all modules incl. the AudioWorklet"] = check_js()
        browser.close()

    out = ROOT / "bench/results"
    out.mkdir(exist_ok=True)
    (out / "landing-weight.json").write_text(json.dumps(results, indent=2))
    print("| page | HTML raw / gzip | CSS raw / gzip | JS raw / gzip | images raw / gzip "
          "| total gzip | network probe |")
    print("|---|---|---|---|---|---|---|")
    for page, totals in results.items():
        def cell(kind, totals=totals):
            t = totals.get(kind)
            return f"{t['raw'] / 1024:.1f} / {t['gzip'] / 1024:.1f} KB" if t else "none"
        print(f"| {page} | {cell('HTML')} | {cell('CSS')} | {cell('JS')} | {cell('images')} | "
              f"{totals['total']['gzip'] / 1024:.1f} KB in {totals['total']['files']} files | "
              f"{cell('probe').split(' / ')[0] + ' KB' if 'probe' in totals else 'none'} |")


if __name__ == "__main__":
    main()
