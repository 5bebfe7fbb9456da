"""Calendar feeds: the secret ``/calendar/<token>.ics`` address (SPEC §5) and the page to copy or rotate it."""
from flask import Blueprint

bp = Blueprint("feeds", __name__)

from tutoring.feeds import views  # noqa: E402,F401  (attaches the routes to bp)
