"""The volunteers blueprint; its view modules attach their routes to ``bp`` (``routes`` imports them)."""
from flask import Blueprint

bp = Blueprint("volunteers", __name__, url_prefix="/volunteers")

from tutoring.volunteers.markup import (  # noqa: E402
    kind_badges,
    result_card,
    search_form,
    slot_link,
    volunteer_facts,
    zone_bar,
    zone_datalist,
)

for _helper in (slot_link, kind_badges, volunteer_facts, result_card, search_form, zone_bar, zone_datalist):
    bp.add_app_template_global(_helper)
