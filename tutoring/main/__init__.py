"""Home page (the volunteer list, rendered by the volunteers blueprint), health check and the language switcher."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from tutoring.main import errors, views  # noqa: E402,F401  (attach the routes and error pages to bp)
