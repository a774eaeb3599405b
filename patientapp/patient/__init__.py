from flask import Blueprint

bp = Blueprint("patient", __name__)

from . import views, waiting_room  # noqa: E402,F401  (routes register on import)
