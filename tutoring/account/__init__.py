"""One's own account under /me: dashboard, profile and settings, and a volunteer's availability editor."""
from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/me")

from tutoring.account import display, views  # noqa: E402,F401  (attach the template helpers and routes to bp)
from tutoring.account import calendars  # noqa: E402,F401  (a volunteer's own calendars, docs/EXTERNAL_CALENDARS.md)
from tutoring.account import privacy  # noqa: E402,F401  (your data: download and account deletion, docs/SECURITY.md)
