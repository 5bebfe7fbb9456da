"""Safeguarding for learners and volunteers (/safety): reporting a concern, blocking a learner."""
from flask import Blueprint

bp = Blueprint("safeguarding", __name__, url_prefix="/safety")

from tutoring.safeguarding import views  # noqa: E402,F401  (attaches the routes to bp)
