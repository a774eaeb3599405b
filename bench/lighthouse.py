"""Lighthouse (npm, pinned in bench/package.json) with Debian's Chromium on the patient's pages.

Runs Lighthouse's default mobile emulation (a mid-range phone, 4× CPU slowdown, simulated slow 4G)
against a demo server on a loopback port: the landing page, the equipment check, the waiting page
and a guide, each in Norwegian and Arabic. Prints one table row per page and keeps the full JSON
reports in bench/results/lighthouse/. A benchmark, not a test: it asserts nothing.

In production a TLS proxy compresses the app's dynamic responses (README); this script puts the
same gzip in front of the demo server (`--no-proxy-gzip` to measure the bare app). Static files
come precompressed from the app itself either way.

Run: `make lighthouse` (installs Lighthouse into bench/node_modules first), or
`.venv/bin/python bench/lighthouse.py [--pages landing,guide] [--langs nb]`.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import current_app  # noqa: E402

from patientapp.demo import demo_site  # noqa: E402

LIGHTHOUSE = ROOT / "bench/node_modules/.bin/lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
PAGES = {"landing": "/visit", "check": "/visit/check", "wait": "/visit/wait", "guide": "/guide/no-sound"}
CATEGORIES = ("performance", "accessibility", "best-practices")
# What the TLS proxy compresses (nginx's gzip_types and the like); static files are compressed already.
PROXY_GZIP_TYPES = ("text/html", "application/json", "text/calendar", "image/svg+xml")


def proxy_gzip(wsgi_app):
    """A stand-in for the TLS proxy's gzip: compresses text answers the app leaves uncompressed."""
    def app(environ, start_response):
        if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", ""):
            return wsgi_app(environ, start_response)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(wsgi_app(environ, capture))
        headers = captured["headers"]
        names = {k.lower(): v for k, v in headers}
        if ("content-encoding" not in names and names.get("content-type", "").startswith(PROXY_GZIP_TYPES)
                and len(body) > 256):
            body = gzip.compress(body, 6)  # nginx's usual level
            headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "vary")]
            vary = ", ".join(filter(None, [names.get("vary"), "Accept-Encoding"]))
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body))), ("Vary", vary)]
        start_response(captured["status"], headers)
        return [body]
    return app


def session_cookie(link: str) -> str:
    """Open the SMS link once, as a patient would, and keep the session cookie it sets."""
    url = urlsplit(link)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("GET", url.path, headers={"Host": url.netloc})
    response = connection.getresponse()
    response.read()
    cookies = [h.split(";", 1)[0] for k, h in response.getheaders() if k.lower() == "set-cookie"]
    connection.close()
    if response.status != 303 or not cookies:
        raise SystemExit(f"The demo link did not open a session ({response.status})")
    return "; ".join(cookies)


def run_lighthouse(url: str, cookie: str | None, out: Path, cpu_slowdown: float | None = None) -> dict:
    # Lighthouse resets the browser's storage before loading; the cookie travels as a header
    # instead (on every request of the page, as the browser's own cookie would).
    command = [str(LIGHTHOUSE), url, "--output=json", f"--output-path={out}", "--quiet",
               "--only-categories=" + ",".join(CATEGORIES),
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking"]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    if cpu_slowdown:
        command.append(f"--throttling.cpuSlowdownMultiplier={cpu_slowdown}")
    for _attempt in range(3):
        # Lighthouse sometimes loses its trace on a busy machine (NO_NAVSTART): try again.
        done = subprocess.run(command, timeout=240, env={**os.environ, "CHROME_PATH": CHROME})
        if done.returncode == 0:
            return json.loads(out.read_text())
    raise SystemExit(f"Lighthouse failed three times on {url}")


def summarise(report: dict) -> dict:
    audits = report["audits"]
    requests = audits["network-requests"]["details"]["items"]
    by_type: dict[str, int] = {}
    for item in requests:
        by_type[item.get("resourceType", "Other")] = (by_type.get(item.get("resourceType", "Other"), 0)
                                                      + item.get("transferSize", 0))
    return {
        "scores": {c: report["categories"][c]["score"] for c in CATEGORIES},
        "FCP ms": round(audits["first-contentful-paint"]["numericValue"]),
        "LCP ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "TBT ms": round(audits["total-blocking-time"]["numericValue"]),
        "CLS": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "transfer bytes": round(audits["total-byte-weight"]["numericValue"]),
        "requests": len(requests),
        "transfer by type": by_type,
        "final URL": urlsplit(report.get("finalDisplayedUrl") or report.get("finalUrl", "")).path,
        "failed audits": sorted(a["id"] for a in audits.values()
                                if a.get("score") is not None and a["score"] < 1
                                and a.get("scoreDisplayMode") == "binary"),
        "lighthouse": report.get("lighthouseVersion"),
        # Lighthouse's own measure of this machine's speed at the time (a fast desktop: 1500-2000+).
        "benchmark index": round(report.get("environment", {}).get("benchmarkIndex", 0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--langs", default="nb,ar")
    parser.add_argument("--no-proxy-gzip", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="runs per page; the median by performance is kept")
    parser.add_argument("--cpu-slowdown", type=float, default=None,
                        help="Lighthouse's CPU multiplier (default 4: a mid-range phone on a fast desktop)")
    options = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: run `make lighthouse` (npm ci in bench/)")

    out = ROOT / "bench/results/lighthouse"
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    with tempfile.TemporaryDirectory() as tmp, demo_site(tmp) as (base, links):
        app = current_app._get_current_object()
        if not options.no_proxy_gzip:
            app.wsgi_app = proxy_gzip(app.wsgi_app)
        for lang in options.langs.split(","):
            cookie = session_cookie(links[lang])
            for name in options.pages.split(","):
                # The guide is public: measured without the session, as a clinic's link would open it.
                url = f"{base}{PAGES[name]}" + (f"?lang={lang}" if name == "guide" else "")
                runs = []
                for run in range(options.runs):
                    report = run_lighthouse(url, None if name == "guide" else cookie,
                                            out / f"{name}-{lang}-{run + 1}.json", options.cpu_slowdown)
                    runs.append(summarise(report))
                    print(f"{name} ({lang}) run {run + 1}: {runs[-1]['scores']} LCP {runs[-1]['LCP ms']} ms "
                          f"TBT {runs[-1]['TBT ms']} ms, benchmark index {runs[-1]['benchmark index']}",
                          file=sys.stderr)
                # Lighthouse varies from run to run, most of all on a shared machine: keep the median.
                runs.sort(key=lambda r: (r["scores"]["performance"], -r["TBT ms"]))
                results[f"{name} ({lang})"] = {**runs[len(runs) // 2],
                                               "performance of every run": [r["scores"]["performance"] for r in runs]}
    (out / "summary.json").write_text(json.dumps(results, indent=2))

    # Lighthouse's CPU figures (TBT above all) swell when other work shares the cores: say how busy.
    print(f"Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"Lighthouse {next(iter(results.values()))['lighthouse']}, CPU slowdown {options.cpu_slowdown or 4}×")

    print("| page | performance (median; all runs) | accessibility | best practices | FCP | LCP | TBT | CLS "
          "| transfer | requests | benchmark index |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for page, s in results.items():
        every = ", ".join(f"{p:.2f}" for p in s["performance of every run"])
        scores = " | ".join(f"{s['scores'][c]:.2f}" for c in CATEGORIES[1:])
        print(f"| {page} | {s['scores']['performance']:.2f} ({every}) | {scores} | {s['FCP ms'] / 1000:.1f} s | "
              f"{s['LCP ms'] / 1000:.1f} s | {s['TBT ms']} ms | {s['CLS']} | {s['transfer bytes'] / 1024:.1f} KB | "
              f"{s['requests']} | {s['benchmark index']} |")
    for page, s in results.items():
        if s["failed audits"] or not s["final URL"].startswith(PAGES[page.split(" ")[0]]):
            print(f"{page}: ended at {s['final URL']}; failed audits: {', '.join(s['failed audits']) or 'none'}")


if __name__ == "__main__":
    main()
