"""The one place that decides whether a request gets a whole page or an HTMX fragment.

A page template includes its fragment (``templates/<feature>/_part.html``), so
both answers come from the same markup; an HTMX swap gets the fragment alone,
everything else (plain links, forms without JS, boosted navigation, history
restores after a cache miss) gets the full page.
"""
from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request


def _header_is_true(name: str) -> bool:
    return request.headers.get(name, "").strip().lower() == "true"


def is_fragment_request(target: str | None = None) -> bool:
    """True for an HTMX request that swaps part of a page (and, if ``target`` is given, aims at that element id).

    Boosted requests and history restores replace the whole body, so they
    need the full page even though they carry ``HX-Request``.
    """
    if not _header_is_true("HX-Request"):
        return False
    if _header_is_true("HX-Boosted") or _header_is_true("HX-History-Restore-Request"):
        return False
    return target is None or request.headers.get("HX-Target") == target


def render_page_or_fragment(page: str, fragment: str, /, *, hx_target: str | None = None, **context: Any) -> Response:
    """Render ``fragment`` for an HTMX swap (see ``is_fragment_request``), else ``page``; sends ``Vary: HX-Request``.

    The Vary header keeps browsers and caches from serving a stored fragment
    for a normal navigation to the same URL (and the reverse).
    """
    template = fragment if is_fragment_request(hx_target) else page
    response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    if hx_target is not None:
        response.vary.add("HX-Target")
    return response
