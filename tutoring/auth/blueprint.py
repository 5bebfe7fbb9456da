"""The auth blueprint; its view modules attach their routes to ``bp`` (``routes`` imports them)."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from tutoring.extensions import login_manager

bp = Blueprint("auth", __name__, url_prefix="/auth")

# Shown when a signed-out visitor opens a page that needs an account.
# Flask-Login would flash the lazy string itself, which the session cookie
# can't store; localize_callback turns it into text in the visitor's language.
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
login_manager.localize_callback = str

