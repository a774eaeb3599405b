"""Static files: fingerprinted names cached for a year, precompressed, with the security headers (issue 5)."""
from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from patientapp import assets

STATIC = Path(__file__).resolve().parents[2] / "patientapp/static"
YEAR = "public, max-age=31536000, immutable"
FINGERPRINTED = re.compile(r"^/static/.+\.[0-9a-f]{12}\.[a-z]+$")


def urls(app) -> dict[str, str]:
    with app.test_request_context():
        return assets.static_urls()


def test_every_static_file_has_a_fingerprinted_url(app):
    mapping = urls(app)
    sources = {str(p.relative_to(STATIC)) for p in STATIC.rglob("*") if p.is_file()}
    assert set(mapping) == sources
    assert all(FINGERPRINTED.match(url) for url in mapping.values()), mapping


def test_pages_name_static_files_only_by_fingerprint(client, invitation_factory):
    _, token = invitation_factory.create()
    client.get(f"/i/{token}")
    for path in ("/", "/guide/echo", "/visit", "/visit/check", "/check"):
        html = client.get(path).get_data(as_text=True)
        named = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
        assert named, path
        assert all(FINGERPRINTED.match(url) for url in named), (path, named)


@pytest.mark.parametrize("name, mimetype", [("css/app.css", "text/css"), ("js/check/light.js", "text/javascript"),
                                            ("icons/icon.svg", "image/svg+xml")])
def test_fingerprinted_files_are_kept_for_a_year_with_the_security_headers(app, client, name, mimetype):
    response = client.get(urls(app)[name])
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Cache-Control"] == YEAR
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "Set-Cookie" not in response.headers
    assert "Content-Encoding" not in response.headers  # this client did not ask for gzip
    if name != "js/check/light.js":  # modules are rewritten; the others are the source bytes
        assert response.data == (STATIC / name).read_bytes()


def test_gzip_is_sent_to_those_who_ask_and_revalidation_answers_304(app, client):
    url = urls(app)["css/app.css"]
    packed = client.get(url, headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert packed.headers["Cache-Control"] == YEAR
    assert gzip.decompress(packed.data) == (STATIC / "css/app.css").read_bytes()
    assert len(packed.data) < (STATIC / "css/app.css").stat().st_size / 2

    refused = client.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    assert refused.data == (STATIC / "css/app.css").read_bytes()

    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == YEAR


def test_module_imports_name_fingerprinted_files_that_exist(app, client):
    mapping = urls(app)
    checked = 0
    for name, url in mapping.items():
        if not name.endswith(".js"):
            continue
        body = client.get(url).get_data(as_text=True)
        for spec in re.findall(r"""(?:\bfrom\s*|\bimport\s*\(?\s*|new URL\(\s*)['"](\.\.?/[^'"]+)['"]""", body):
            target = str(Path(url).parent / spec).replace("/./", "/")
            target = re.sub(r"/[^/]+/\.\./", "/", target)
            assert FINGERPRINTED.match(target), (name, spec)
            assert client.get(target).status_code == 200, (name, spec, target)
            checked += 1
    assert checked >= 15  # the check's modules, the worklet, the staff and waiting-room modules


def test_a_change_in_a_module_changes_every_module_that_imports_it(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js/leaf.js").write_text("export const a = 1;\n")
    (tmp_path / "js/mid.js").write_text("import { a } from './leaf.js';\nexport const b = a;\n")
    (tmp_path / "js/entry.js").write_text("import { b } from './mid.js';\nconsole.log(b);\n")
    (tmp_path / "js/other.js").write_text("export const c = 1;\n")
    before = {n: a.public_name for n, a in assets.StaticAssets(tmp_path).by_name.items()}
    (tmp_path / "js/leaf.js").write_text("export const a = 2;\n")
    after = {n: a.public_name for n, a in assets.StaticAssets(tmp_path).by_name.items()}
    assert [n for n in before if before[n] != after[n]] == ["js/entry.js", "js/leaf.js", "js/mid.js"]


def test_a_missing_import_or_a_cycle_stops_the_build(tmp_path):
    (tmp_path / "a.js").write_text("import './b.js';\n")
    with pytest.raises(assets.AssetBuildError, match="b.js"):
        assets.StaticAssets(tmp_path)
    (tmp_path / "b.js").write_text("import './a.js';\n")
    with pytest.raises(assets.AssetBuildError, match="cycle"):
        assets.StaticAssets(tmp_path)


def test_source_names_still_work_but_are_revalidated(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path, status", [
    ("/static/css/app.000000000000.css", 302),  # a stale fingerprint of a file that exists: to today's
    ("/static/css/app.css.map", 404), ("/static/nope.js", 404),
    ("/static/js/check/light.zzzzzzzzzzzz.js", 404),  # not a fingerprint (hex only)
    ("/static/../patientapp/__init__.py", 404), ("/static/%2e%2e/config.py", 404)])
def test_unknown_or_stale_fingerprints_never_fail(app, client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["Cache-Control"] != YEAR
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if response.status_code == 302:
        # An older version's name leads to today's file, which is the one kept for a year.
        assert response.headers["Location"].endswith(urls(app)["css/app.css"])
