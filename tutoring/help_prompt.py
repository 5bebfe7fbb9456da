"""Help shown at once to someone who wrote words of crisis (issue 18 part 3), on the page their form leads to.

A view calls ``offer_help_if_crisis(text, ...)`` with what a person just
wrote (a booking note, a cancel reason, a check-in comment). When the pure
matcher (``tutoring.safety.crisis``) sees words of crisis, only a flag goes
into the signed session cookie: never the text, which stays where the
person put it and is not logged or sent anywhere. The next page rendered
(``base.html``, through the template global ``crisis_help``) shows the help
for the person's country, inferred from their zone as ``/help`` does, in
their language; an htmx fragment gets the same panel as an out-of-band swap.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, render_template, session

from tutoring.htmx import is_fragment_request
from tutoring.i18n import current_language, current_timezone
from tutoring.safety.crisis import mentions_crisis
from tutoring.services.support import help as help_service

FLAG = "crisis_help"


def offer_help_if_crisis(*texts: str | None) -> bool:
    """Remember to show help on the next page if any of ``texts`` mentions crisis; True if so."""
    if any(mentions_crisis(text) for text in texts if text):
        session[FLAG] = True
        return True
    return False


def crisis_help() -> dict[str, Any] | None:
    """The help to show now (and forget the flag), or None: the template global ``base.html`` calls."""
    if not session.get(FLAG):
        return None
    session.pop(FLAG, None)
    country = help_service.country_of_zone(current_timezone())
    return {
        "found": help_service.resources_for(country),
        "country": country,
        "country_label": help_service.country_name(country, current_language()) if country else None,
    }


def _add_to_fragment(response: Response) -> Response:
    """An htmx fragment answer carries the panel out of band (``#crisis-help`` in ``base.html``)."""
    if session.get(FLAG) and is_fragment_request() and response.mimetype == "text/html" and response.status_code < 300:
        offer = crisis_help()
        if offer is not None:
            panel = render_template("_crisis_help.html", offer=offer, out_of_band=True)
            response.set_data(response.get_data() + panel.encode())
    return response


def init_help_prompt(app: Flask) -> None:
    """Register the template global and the fragment hook."""
    app.add_template_global(crisis_help)
    app.after_request(_add_to_fragment)
