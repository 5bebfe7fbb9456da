"""The main blueprint; its view modules attach their routes to ``bp`` (``routes`` imports them)."""
from flask import Blueprint

bp = Blueprint("main", __name__)

