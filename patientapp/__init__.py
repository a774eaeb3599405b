"""patientapp: a patient's way into a video consultation."""
from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, request, url_for
from flask.json.provider import DefaultJSONProvider
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BuildError

from . import (
    assets,
    concurrency,
    config,
    db,
    errors,
    guides,
    i18n,
    limits,
    link_memory,
    logs,
    page_cache,
    paths,
    pictures,
    role_words,
    security,
    sms,
    status_hold,
    status_news,
)

csrf = CSRFProtect()
REPO_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints."""
    app = Flask(__name__, instance_relative_config=True)
    settings = config.from_environment()
    settings.update(test_config or {})
    os.makedirs(app.instance_path, exist_ok=True)

    # Configuration: our settings plus Flask's and the extensions' own, derived from them.
    app.config.from_mapping(settings)
    app.config.update(
        SECRET_KEY=settings["SECRET_KEY"] or _instance_secret(Path(app.instance_path)),
        DATABASE_URL=settings["DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'patientapp.sqlite3'}",
        TRUSTED_HOSTS=config.trusted_hosts(settings["PUBLIC_BASE_URL"], settings["EXTRA_HOSTS"]),
        # __Host- cookies: Secure, Path=/, no Domain (R25). localhost counts as secure in browsers.
        SESSION_COOKIE_NAME="__Host-session",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=int(settings["PATIENT_SESSION_HOURS"]) * 3600,
        # Send the session cookie only when the session changed. Refreshing it on every answer let a
        # slow answer (a held status request, a guide the service worker fetched) overwrite a newer
        # cookie, such as the one that brought the waiting page's CSRF token: the knock then failed.
        SESSION_REFRESH_EACH_REQUEST=False,
        MAX_CONTENT_LENGTH=64 * 1024,
        # A patient may wait a long time; the session itself is time-bound instead (R30).
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT,
        BABEL_DEFAULT_TIMEZONE=settings["DEFAULT_TIME_ZONE"],
        ROOM_HOSTS=[h.strip() for h in str(settings["ROOM_HOSTS"]).split(",") if h.strip()]
        if isinstance(settings["ROOM_HOSTS"], str) else list(settings["ROOM_HOSTS"]),
        STAFF_IDLE_TIMEOUT=timedelta(minutes=int(settings["STAFF_IDLE_MINUTES"])),
    )
    if int(app.config.get("PROXY_HOPS", 0) or 0):
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)

    # JSON logs, redacted, with a request id per request (R49-R51).
    logs.init_app(app)
    if str(app.config["SMS_GATEWAY"]).strip().lower() == "outbox" and not sms.outbox_allowed(app.config):
        logging.getLogger("patientapp").warning(
            "SMS_GATEWAY=outbox does not run on a public https address: no SMS can be sent. "
            "Configure a real gateway (PATIENTAPP_SMS_GATEWAY=http).")
    # UTF-8 JSON: Arabic and Urdu text is a third of the size of \uXXXX escapes. Jinja's tojson
    # still escapes <, >, & and ' so JSON inside a page stays safe.
    app.json = BoundedJSONProvider(app)
    app.json.ensure_ascii = False

    # A few requests at work at once; the others wait asleep (before every other hook).
    concurrency.init_app(app)

    # Extensions: database, translations, CSRF, security headers.
    app.extensions["patientapp.db"] = db.Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(db.close_session)
    _waiting_room_news(app)
    Babel(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)
    csrf.init_app(app)
    security.init_app(app)
    page_cache.init_app(app)
    assets.init_app(app)

    # Guides are parsed and sanitised once, here, not per request.
    content_dir = Path(app.config["CONTENT_DIR"] or REPO_ROOT / "content")
    app.extensions["patientapp.guides"] = guides.GuideLibrary(content_dir, tuple(i18n.LANGUAGES),
                                                              picture_url=_picture_url(app))

    _template_helpers(app)
    errors.init_app(app)

    # Blueprints: the patient's pages, the equipment check, the public pages, the clinic's workspace.
    from .check import bp as check_bp
    from .embed import CookielessEmbeds
    from .embed import bp as embed_bp
    from .patient import bp as patient_bp
    from .public import bp as public_bp
    from .pwa.views import bp as pwa_bp
    from .staff import bp as staff_bp

    app.register_blueprint(patient_bp)
    app.register_blueprint(check_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp)
    # Installable and offline: the service worker, the manifest and the offline page (R57, R58).
    app.register_blueprint(pwa_bp)
    # The guides and the check on a clinic's own website: framable by its origins, never a cookie (R28, R36).
    app.register_blueprint(embed_bp)
    app.session_interface = CookielessEmbeds()
    if app.config["ALLOW_LOCAL_ROOMS"]:
        # Development and tests only: a stand-in for the video service on this server.
        from .public.views import dev_video_room

        app.add_url_rule("/dev/video-room", "dev_video_room", dev_video_room)
    # Rate limits on the exposed endpoints (R45): wraps views, so after every blueprint.
    limits.init_app(app)

    from . import cli

    cli.init_app(app)
    return app


class BoundedJSONProvider(DefaultJSONProvider):
    """JSON nested deeper than the parser can recurse is bad input like any other: get_json() then
    answers 400 (or None when silent), not a RecursionError's 500."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def _waiting_room_news(app: Flask) -> None:
    """The held status requests' watcher, and the news of changes that wakes it (status_news.py)."""
    database = app.extensions["patientapp.db"]
    watch = status_hold.Watcher(database.engine, capacity=_hold_capacity(app.config),
                                safety_interval=float(app.config["STATUS_SAFETY_POLL_SECONDS"]))
    news = status_news.for_database(watch.notify, database.url, app.config.get("REDIS_URL") or "")
    news.track(database.sessions, database.writer_sessions)
    watch.started.append(news.start)
    app.extensions["patientapp.watch"] = watch
    app.extensions["patientapp.news"] = news
    app.extensions["patientapp.links"] = link_memory.LinkMemory(watch, news)


def _picture_url(app: Flask):
    """A guide's picture by name: its fingerprinted address (assets.py) and whether it mirrors."""
    def url(name: str) -> tuple[str, bool] | None:
        picture = pictures.PICTURES.get(name)
        asset = app.extensions["patientapp.assets"].by_name.get(picture.path) if picture else None
        return None if asset is None else (f"{app.static_url_path}/{asset.public_name}", picture.mirror)
    return url


def _hold_capacity(settings) -> int:
    """Held status requests per process, until gunicorn's worker says what it can hold
    (gunicorn.conf.py, post_worker_init): the thread worker's default threads less a reserve."""
    if int(settings.get("STATUS_HOLD_MAX") or 0) > 0:
        return int(settings["STATUS_HOLD_MAX"])
    return status_hold.holding_places("gthread", int(os.environ.get("PATIENTAPP_THREADS") or 600), 0)


def size_for_worker(app: Flask, worker_class: str, threads: int, connections: int) -> None:
    """Called in each gunicorn worker: hold as many requests as this worker can, and listen for news."""
    watch = app.extensions["patientapp.watch"]
    if int(app.config.get("STATUS_HOLD_MAX") or 0) <= 0:
        watch.capacity = status_hold.holding_places(worker_class, threads, connections)
    app.extensions["patientapp.news"].start()


def _instance_secret(instance: Path) -> str:
    """A secret kept in the instance folder, so that a development server's restarts keep sessions."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _template_helpers(app: Flask) -> None:
    # Pages whose URL holds a token: their language links go to the page the token leads to (R5).
    token_pages = {"patient.open_link": "patient.landing", "patient.open_device_link": "patient.landing",
                   "staff.enrol_link": "staff.enrol"}

    def language_url(code: str) -> str:
        """This page in another language, built from the matched route, never from the raw path: an
        unmatched path such as "/\\evil.example/x" would otherwise become an off-site link."""
        endpoint = request.endpoint if request.url_rule is not None else None
        path = "/"
        if endpoint in token_pages:
            path = url_for(token_pages[endpoint])
        elif endpoint is not None:
            try:
                path = url_for(endpoint, **(request.view_args or {}))
            except BuildError:  # a route that cannot be built again from its arguments
                path = "/"
        if not path.startswith("/") or path.startswith(("//", "/\\")):
            path = "/"
        return f"{path}?lang={code}"

    def guide_for(slug: str):
        return app.extensions["patientapp.guides"].get(slug, i18n.current().code)

    @app.context_processor
    def _language():
        lang = i18n.current()
        return {
            "lang": lang,
            "languages": i18n.LANGUAGES.values(),
            # Fingerprinted names, cached for a year (assets.py).
            "static_url": assets.static_url,
            # Installable and offline (patientapp/pwa): patient and public pages only. Never the
            # workspace or embeds, and never a page whose address holds a token (its Referer would).
            "installable": bool(request) and not request.path.startswith(
                (paths.LINK, paths.DEVICE_LINK, paths.STAFF, paths.EMBED, paths.DEV)),
            "patient_page": bool(request) and request.path.startswith(paths.VISIT),
        }

    # Small pieces of markup that go *into* translated sentences as variables, so translators
    # never see or break HTML (STYLE.md 11).
    app.jinja_env.globals.update(
        language_url=language_url,
        guide_for=guide_for,
        # A count's sentence in every plural form, for a script (shared/plural.js).
        plurals=i18n.plural_forms,
        ui_word=i18n.ui_word,
        # Numbers and times are isolated so they keep their order inside right-to-left text.
        bidi=lambda text: Markup("<bdi>%s</bdi>") % text,
        phone_link=lambda phone: Markup('<a href="%s"><bdi dir="ltr">%s</bdi></a>') % (phone.href, phone.display),
        emergency_link=lambda: Markup('<a href="tel:113"><bdi dir="ltr">113</bdi></a>'),
        outbox_allowed=sms.outbox_allowed,
        role_name=role_words.role_name,
    )

    @app.after_request
    def _remember_language(response):
        chosen = g.pop("remember_lang", None)
        if chosen:
            response.set_cookie(i18n.LANG_COOKIE, chosen, max_age=365 * 24 * 3600, secure=True,
                                httponly=True, samesite="Lax", path="/")
        return response
