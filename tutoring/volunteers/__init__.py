"""Public browsing: the volunteer list (home page) and each volunteer's week of free times."""
from flask import Blueprint

bp = Blueprint("volunteers", __name__, url_prefix="/volunteers")

from tutoring.volunteers import views  # noqa: E402,F401  (attaches the routes to bp)
