"""``/help`` (SPEC §7 "Help"): not an emergency service; crisis resources for the visitor's country."""
from __future__ import annotations

from flask import render_template, request

from tutoring.i18n import current_language, current_timezone
from tutoring.main.blueprint import bp
from tutoring.services.support import help as help_service


@bp.get("/help")
def help_page():
    """Public, both languages: ``?country=XX``, else the country of the visitor's zone, else every resource."""
    asked = request.args.get("country")
    country = help_service.clean_country(asked)
    inferred = False
    if country is None and asked is None:
        country = help_service.country_of_zone(current_timezone())
        inferred = country is not None
    found = help_service.resources_for(country)
    language = current_language()
    return render_template(
        "help.html",
        found=found,
        country=country,
        inferred=inferred,
        unknown_country=asked not in (None, "", "all") and country is None,
        country_label=help_service.country_name(country, language) if country else None,
        countries=help_service.country_choices(language),
        country_name=help_service.country_name,
    )
