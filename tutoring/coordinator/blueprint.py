"""The coordinator blueprint; its view modules attach their routes to ``bp`` (``routes`` imports them)."""
from flask import Blueprint

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")

