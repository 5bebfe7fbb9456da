"""The check-ins blueprint; its view modules attach their routes to ``bp`` (``routes`` imports them)."""
from flask import Blueprint

bp = Blueprint("checkins", __name__)
