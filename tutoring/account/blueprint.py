"""The account blueprint; its view modules attach their routes to ``bp`` (``routes`` imports them)."""
from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/me")

