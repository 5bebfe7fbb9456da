"""Group sessions in the browser: the volunteer's page of one group session (its learners) and cancelling it whole."""
from flask import Blueprint

bp = Blueprint("groups", __name__)

from tutoring.groups import views  # noqa: E402,F401  (attaches the routes to bp)
