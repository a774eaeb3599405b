from flask import Blueprint

from .. import paths

bp = Blueprint("staff", __name__, url_prefix=paths.STAFF)

from . import settings, sign_in, views, website  # noqa: E402,F401  (routes register on import)
