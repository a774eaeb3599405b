from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from . import auth, views, website  # noqa: E402,F401  (routes register on import)
