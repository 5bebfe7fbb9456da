"""Finding a time: a learner's free hours on a week grid, and the volunteers whose slots fit them (/find-a-time)."""
from flask import Blueprint

bp = Blueprint("find", __name__)

from tutoring.find import views  # noqa: E402,F401  (attaches the routes to bp)
