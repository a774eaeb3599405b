"""The guides and the equipment check for a clinic's own website: /embed/<clinic>/… (R28, R36, R40)."""
from flask import Blueprint
from flask.sessions import SecureCookieSessionInterface

from .. import paths

bp = Blueprint("embed", __name__, url_prefix=paths.EMBED)
PREFIX = paths.EMBED + "/"


class CookielessEmbeds(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that /embed/ requests get a null session.

    IMPORTANT: embedded pages must neither need nor set cookies (R28). A null session never reads the
    patient's session (so nothing about an invitation leaks into a clinic's frame), is never saved
    (not even with SESSION_REFRESH_EACH_REQUEST), and makes any attempt to write one (a CSRF token,
    say) fail loudly in the tests instead of quietly setting a cookie.
    """

    def open_session(self, app, request):
        if request.path.startswith(PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)


from . import views  # noqa: E402,F401  (routes register on import)
