"""The booking pages' blueprint; ``views`` and ``series_views`` attach their routes to it."""
from flask import Blueprint

bp = Blueprint("booking", __name__)
