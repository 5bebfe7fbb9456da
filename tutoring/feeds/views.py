"""Views of the feeds blueprint: the secret feed itself, and the page that shows and rotates its address."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tutoring.calendar.feed import REFRESH
from tutoring.extensions import db, limiter
from tutoring.feeds.blueprint import bp
from tutoring.feeds.service import (
    cancelled_days,
    feed_for,
    feed_urls,
    is_not_modified,
    owner_for_token,
    render_feed,
)
from tutoring.htmx import is_fragment_request, render_page_or_fragment
from tutoring.services.notices.meeting import meeting_url_for
from tutoring.timeutil import utcnow

# The feed tells calendar apps to poll once an hour (REFRESH-INTERVAL, X-PUBLISHED-TTL):
# the HTTP answer says the same, so the two never disagree (issue 21).
DEFAULT_MAX_AGE_SECONDS = int(REFRESH.total_seconds())
FEED_FRAGMENT_TARGET = "calendar-feed"


# Pages show each booking's meeting room: ``{{ meeting_url(booking) }}`` in any template.
bp.add_app_template_global(meeting_url_for, "meeting_url")


def _limit(name: str, default: str):
    """A rate limit read from config at request time (``TUTORING_<name>`` overrides ``default``)."""
    return lambda: current_app.config.get(name, default)


def _feed_key() -> str:
    # Per feed address: calendar services fetch thousands of feeds from a few
    # addresses (Google), so a per-IP budget would cut off honest subscribers.
    return "feed:" + str((request.view_args or {}).get("token", ""))


def _is_miss(response) -> bool:
    return response.status_code == 404


def _owner():
    """The feed's owner for this request's token, looked up once (``g``), or None."""
    if "feed_owner" not in g:
        g.feed_owner = owner_for_token(str((request.view_args or {}).get("token", "")))
    return g.feed_owner


def _is_known_token() -> bool:
    # The per-IP budget is for guessing: a valid address is never held back by
    # misses from the same IP (a school or a café shares one), issue 21.
    return _owner() is not None


@bp.get("/calendar/<token>.ics")
@limiter.limit(_limit("FEED_LIMIT", "30 per minute"), key_func=_feed_key)
@limiter.limit(_limit("FEED_MISS_LIMIT", "30 per minute"), deduct_when=_is_miss, exempt_when=_is_known_token)
def feed(token: str):
    """The owner's sessions as an iCalendar feed; 304 when the client's copy is current, 404 for unknown tokens."""
    owner = _owner()
    if owner is None:
        abort(404)
    now = utcnow()
    current = feed_for(owner, now)
    not_modified = is_not_modified(current, request.headers.get("If-None-Match"), request.if_modified_since, now)
    if not not_modified and current.body is None:
        current = render_feed(owner, now)  # only its validators were known (another worker rendered it)
    headers = {
        "ETag": current.etag,
        # Only the owner's calendar app should keep a copy, never a shared cache.
        "Cache-Control": f"private, max-age={int(current_app.config.get('FEED_MAX_AGE', DEFAULT_MAX_AGE_SECONDS))}",
        "X-Robots-Tag": "noindex, nofollow",
        "Referrer-Policy": "no-referrer",
    }
    if not_modified:
        response = Response(status=304, headers=headers)
    else:
        response = Response(current.body, content_type="text/calendar; charset=utf-8", headers=headers)
        response.headers["Content-Disposition"] = 'inline; filename="sessions.ics"'
    response.last_modified = current.last_modified
    return response


def _settings_context() -> dict:
    https_url, webcal_url = feed_urls(current_user, current_app.config.get("BASE_URL") or request.host_url)
    return {"feed_url": https_url, "webcal_url": webcal_url, "fragment_target": FEED_FRAGMENT_TARGET,
            "cancelled_days": cancelled_days()}


@bp.get("/me/calendar")
@login_required
def calendar_settings():
    """The calendar page: the secret feed address (https and webcal) and a button to replace it."""
    return render_page_or_fragment(
        "feeds/calendar.html", "feeds/_feed.html", hx_target=FEED_FRAGMENT_TARGET, **_settings_context()
    )


@bp.post("/me/calendar/rotate")
@login_required
def rotate_feed():
    """Replace the feed address: the old one answers 404 from now on."""
    current_user.rotate_calendar_token()
    db.session.commit()
    message = _("Your calendar has a new address. The old address no longer works.")
    if is_fragment_request(FEED_FRAGMENT_TARGET):
        return render_page_or_fragment(
            "feeds/calendar.html", "feeds/_feed.html", hx_target=FEED_FRAGMENT_TARGET,
            rotated_message=message, **_settings_context()
        )
    flash(message, "success")
    return redirect(url_for("feeds.calendar_settings"), code=303)
