"""Booking in the browser: the booking page of a slot, a booking's own page and .ics, and "My sessions"."""
from flask import Blueprint

bp = Blueprint("booking", __name__)

from tutoring.booking import series_views, views  # noqa: E402,F401  (attaches the routes to bp)
