"""The certificates blueprint; its view modules attach their routes to ``bp`` (``routes`` imports them)."""
from flask import Blueprint

bp = Blueprint("certificates", __name__, url_prefix="/certificate")

from tutoring.account.display import duration_text  # noqa: E402

# The certificate pages (also rendered by the coordinators' area) say durations the account pages' way.
bp.add_app_template_global(duration_text, "duration_text")

from tutoring.services.records.certificate import certificate_lead  # noqa: E402

# The page's sentence in the volunteer's grammatical form, shared with the PDF.
bp.add_app_template_global(certificate_lead, "certificate_lead")
