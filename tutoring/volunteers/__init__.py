"""Public browsing: the volunteer list (home page) and each volunteer's week of free times."""
from flask import Blueprint

bp = Blueprint("volunteers", __name__, url_prefix="/volunteers")

from tutoring.volunteers import views  # noqa: E402,F401  (attaches the routes to bp)
from tutoring.volunteers.browse import card_words, languages_text, slot_words, zone_datalist  # noqa: E402

for _helper in (slot_words, card_words, languages_text, zone_datalist):
    bp.add_app_template_global(_helper)
