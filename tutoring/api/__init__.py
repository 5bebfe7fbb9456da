"""The JSON API under ``/api/v1`` (SPEC §4): bearer tokens only, JSON errors, an OpenAPI document.

Adding an endpoint: write the view in a module of this package (thin: parse
with ``tutoring.api.params``, load through a 404-ing loader, call a service,
render with ``tutoring.api.render``), raise ``tutoring.api.errors.ApiError``
(or its helpers) for anything that is not a success, and describe it in
``tutoring/api/openapi.py``.
"""
