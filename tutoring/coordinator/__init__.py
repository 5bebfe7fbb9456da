"""The coordinators' area (/coordinator): vetting, programmes, reports, safeguarding and the audit log."""
from flask import Blueprint

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")

from tutoring.coordinator import views  # noqa: E402,F401  (attaches the routes to bp)
