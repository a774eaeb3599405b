"""Static files under content-hashed names: cached for a year, precompressed, built from the sources.

Every file in `static/` gets a public name with a hash of its content (`css/app.3f2a9c1b7e4d.css`), so a
browser may keep it for a year without asking again: a change makes a new name. ES modules name each
other by relative specifiers (`import … from './light.js'`); those are rewritten to the hashed names,
and a module's hash is taken *after* the rewrite, so a change in a dependency changes every module
that imports it, up to the page's entry point. No import map is needed, the AudioWorklet module
(`new URL('./x.js', import.meta.url)`, which no import map reaches) is covered too, and what the
browser runs is byte for byte what is hashed.

The build runs in memory when the app starts (a few milliseconds for this app's ~100 KB): nothing
is generated on disk or committed, `make run`, gunicorn's workers and the tests all see the same
names, and a gzip -9 copy of every compressible file is made once, not per request. The files are
served by the app's own `static` endpoint, so the security headers of every other response apply
to them unchanged (see README, "Static files", for why not WhiteNoise).
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, current_app, redirect, request, url_for

HASH_LENGTH = 12
YEAR = 365 * 24 * 3600
# Text formats that shrink; images here are SVG (text) too. Already-compressed formats are not redone.
COMPRESSIBLE = {".css", ".js", ".mjs", ".svg", ".json", ".txt", ".webmanifest", ".map"}
# Relative module specifiers: static and dynamic imports, re-exports, and `new URL('./x', import.meta.url)`
# (how a module names a worklet or worker next to itself).
_SPECIFIER = re.compile(
    r"""(?P<head>\bfrom\s*|\bimport\s*\(?\s*|\bnew\s+URL\(\s*)(?P<q>['"])(?P<spec>\.\.?/[^'"\s]+)(?P=q)""")
_HASHED_NAME = re.compile(rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<ext>\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class Asset:
    name: str           # source name, relative to static/, e.g. "js/check/light.js"
    public_name: str    # e.g. "js/check/light.0123456789ab.js"
    digest: str
    body: bytes
    gzipped: bytes | None
    mimetype: str


class AssetBuildError(RuntimeError):
    pass


def _public_name(name: str, digest: str) -> str:
    path = Path(name)
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def _relative(importer: str, spec: str) -> str | None:
    """The static-relative name a specifier points to, or None if it leaves static/."""
    parts = list(Path(importer).parent.parts)
    for piece in spec.split("/"):
        if piece == "..":
            if not parts:
                return None
            parts.pop()
        elif piece not in (".", ""):
            parts.append(piece)
    return "/".join(parts)


def _dependencies(name: str, text: str) -> list[tuple[str, str]]:
    return [(m.group("spec"), _relative(name, m.group("spec"))) for m in _SPECIFIER.finditer(text)]


class StaticAssets:
    """The fingerprinted files of one static folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._signature: tuple | None = None
        self.by_name: dict[str, Asset] = {}
        self.by_public: dict[str, Asset] = {}
        self.build()

    def _stat(self) -> tuple:
        return tuple(sorted((str(p.relative_to(self.folder)), p.stat().st_mtime_ns, p.stat().st_size)
                            for p in self.folder.rglob("*") if p.is_file()))

    def refresh(self) -> None:
        """Rebuild if a source file changed (development servers only; production builds once)."""
        if self._stat() != self._signature:
            self.build()

    def build(self) -> None:
        signature = self._stat()
        sources = {name: (self.folder / name).read_bytes() for name, _, _ in signature
                   if not Path(name).name.startswith(".")}
        modules = {name for name in sources if name.endswith((".js", ".mjs"))}
        digests: dict[str, str] = {}
        bodies: dict[str, bytes] = {}

        def visit(name: str, trail: tuple[str, ...]) -> str:
            if name in digests:
                return digests[name]
            if name in trail:
                raise AssetBuildError("Import cycle between static modules: " + " -> ".join(trail + (name,)))
            body = sources[name]
            if name in modules:
                text = body.decode("utf-8")
                for spec, target in _dependencies(name, text):
                    if target not in sources:
                        raise AssetBuildError(f"{name} imports {spec!r}, which is not a static file")
                    visit(target, trail + (name,))

                def swap(match: re.Match) -> str:
                    spec = match.group("spec")
                    target = _relative(name, spec)
                    hashed_spec = spec.rsplit("/", 1)[0] + "/" + Path(_public_name(target, digests[target])).name
                    return f"{match.group('head')}{match.group('q')}{hashed_spec}{match.group('q')}"

                body = _SPECIFIER.sub(swap, text).encode("utf-8")
            bodies[name] = body
            digests[name] = hashlib.sha256(body).hexdigest()[:HASH_LENGTH]
            return digests[name]

        by_name = {}
        for name in sorted(sources):
            digest = visit(name, ())
            body = bodies[name]
            suffix = Path(name).suffix.lower()
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if suffix in (".js", ".mjs"):
                mimetype = "text/javascript"
            gzipped = None
            if suffix in COMPRESSIBLE:
                # mtime=0: the same source always gives the same bytes, in every worker.
                packed = gzip.compress(body, compresslevel=9, mtime=0)
                gzipped = packed if len(packed) < len(body) else None
            by_name[name] = Asset(name, _public_name(name, digest), digest, body, gzipped, mimetype)
        self.by_name = by_name
        self.by_public = {asset.public_name: asset for asset in by_name.values()}
        self._signature = signature


def _assets(app: Flask | None = None) -> StaticAssets:
    app = app or current_app
    assets: StaticAssets = app.extensions["patientapp.assets"]
    if app.debug:
        assets.refresh()
    return assets


def static_url(filename: str) -> str:
    """The fingerprinted URL of a static file: the one way templates and code name static files."""
    asset = _assets().by_name.get(filename)
    if asset is None:
        raise LookupError(f"No static file {filename!r}")
    return url_for("static", filename=asset.public_name)


def static_urls() -> dict[str, str]:
    """Every static file's source name mapped to its fingerprinted URL (e.g. for a service worker)."""
    return {name: url_for("static", filename=asset.public_name) for name, asset in _assets().by_name.items()}


def module_graph(entry: str) -> list[str]:
    """An ES module and every module it imports statically, as fingerprinted URLs (entry first)."""
    assets = _assets()
    seen: list[str] = []

    def walk(name: str) -> None:
        if name in seen:
            return
        seen.append(name)
        text = assets.by_name[name].body.decode("utf-8")
        for match in re.finditer(r"""\b(?:from|import)\s*(['"])(\.\.?/[^'"\s]+)\1""", text):
            public = _relative(name, match.group(2))
            walk(assets.by_public[public].name)

    walk(entry)
    return [url_for("static", filename=assets.by_name[name].public_name) for name in seen]


def _accepts_gzip() -> bool:
    for part in request.headers.get("Accept-Encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return not params or float(q) > 0
            except ValueError:
                return False
    return False


def serve_static(filename: str):
    """The `static` endpoint: fingerprinted names for a year, source names revalidated, others 404."""
    assets = _assets()
    asset = assets.by_public.get(filename)
    immutable = asset is not None
    if asset is None:
        asset = assets.by_name.get(filename)
    if asset is None:
        stale = _HASHED_NAME.match(filename)
        current = stale and assets.by_name.get(stale["stem"] + stale["ext"])
        if current:
            # An older version's name (a page rendered before a deploy): the current file, never
            # cached under the old name, so the page still works and nothing wrong is kept.
            response = redirect(url_for("static", filename=current.public_name), 302)
            response.headers["Cache-Control"] = "no-cache"
            return response
        abort(404)

    use_gzip = asset.gzipped is not None and _accepts_gzip()
    response = Response(asset.gzipped if use_gzip else asset.body, mimetype=asset.mimetype)
    if use_gzip:
        response.headers["Content-Encoding"] = "gzip"
    if asset.gzipped is not None:
        response.vary.add("Accept-Encoding")
    response.set_etag(asset.digest + ("-gz" if use_gzip else ""))
    # Immutable under a fingerprinted name; under the source name it may change with any deploy.
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable" if immutable else "no-cache"
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    app.extensions["patientapp.assets"] = StaticAssets(Path(app.static_folder))
    # Flask's own /static/<path:filename> rule stays; only the function behind it changes.
    app.view_functions["static"] = serve_static
    # For <link rel="modulepreload">: the browser fetches a page's whole module graph at once
    # instead of one level of imports per round trip (three on the check page).
    app.jinja_env.globals["module_graph"] = module_graph
