"""The safeguarding blueprint; its view modules attach their routes to ``bp`` (``routes`` imports them)."""
from flask import Blueprint

bp = Blueprint("safeguarding", __name__, url_prefix="/safety")

