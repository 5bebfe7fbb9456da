"""Every route of the account blueprint, tried signed out, as a learner, as another volunteer and as the owner.

In the spirit of the Flask tutorial's ``test_blog`` access tests: a signed-out
visitor is sent to sign in, a learner gets 403 on volunteer pages, another
volunteer gets 404 for the owner's windows and periods, and nothing of the
owner's changes in any of those cases.
"""
from __future__ import annotations

import re
from datetime import date

import pytest

from tutoring.extensions import db
from tutoring.models import AwayPeriod, ExternalCalendar, ExtraWindow, User
from tutoring.services.schedules.availability import availability_document

# (method, path, who may use it, form data). Paths name the owner's objects as {rule}, {away}, {extra}.
#   any:       every signed-in person (their own page)
#   volunteer: volunteers only (403 for learners), each acting on their own availability
#   owner:     only the volunteer who owns the object (404 for other volunteers, 403 for learners)
ROUTES = [
    ("GET", "/me/", "any", None),
    ("GET", "/me/profile", "any", None),
    ("POST", "/me/profile", "any", {"display_name": "Changed", "timezone": "UTC", "language": "en", "kinds": "tutoring",
                                    "session_minutes": "30", "buffer_minutes": "5", "min_notice_hours": "1",
                                    "horizon_days": "30"}),
    ("GET", "/me/setup", "volunteer", None),
    ("GET", "/me/availability", "volunteer", None),
    ("GET", "/me/availability/preview?tz=Africa/Cairo", "volunteer", None),
    ("GET", "/me/availability/rules/new?weekday=3", "volunteer", None),
    ("POST", "/me/availability/rules", "volunteer", {"weekday": "3", "start": "09:00", "end": "10:00"}),
    ("GET", "/me/availability/rules/{rule}", "owner", None),
    ("GET", "/me/availability/rules/{rule}/edit", "owner", None),
    ("POST", "/me/availability/rules/{rule}", "owner", {"weekday": "5", "start": "06:00", "end": "07:00"}),
    ("POST", "/me/availability/rules/{rule}/delete", "owner", {}),
    ("POST", "/me/availability/away", "volunteer", {"first_on": "2027-03-01", "last_on": "2027-03-02"}),
    ("POST", "/me/availability/away/{away}/delete", "owner", {}),
    ("POST", "/me/availability/extra", "volunteer", {"day_on": "2027-03-05", "start": "09:00", "end": "10:00"}),
    ("POST", "/me/availability/extra/{extra}/delete", "owner", {}),
    ("POST", "/me/availability/pause", "volunteer", {}),
    ("POST", "/me/availability/resume", "volunteer", {}),
    ("GET", "/me/calendars", "volunteer", None),
    ("POST", "/me/calendars/{calendar}/refresh", "owner", {}),
    ("POST", "/me/calendars/{calendar}/delete", "owner", {}),
    ("GET", "/me/privacy", "any", None),
    ("GET", "/me/data", "any", None),
]
# Routes whose access tests live with their feature (they can't take the table's shape).
TESTED_ELSEWHERE = {
    ("POST", "/me/privacy/delete"),  # deletes the account: tests/people/test_privacy.py
    ("POST", "/me/calendars"),  # connecting reads the calendar over the network: tests/schedules/test_external_calendar.py
}
ROUTE_IDS = [f"{method} {path}" for method, path, _who, _data in ROUTES]


@pytest.fixture
def world(app, make_user):
    """The owner (a volunteer with one of everything), another volunteer and a learner."""
    owner = make_user("volunteer", name="Owner", rules=[(1, "18:00", "20:00")])
    other = make_user("volunteer", name="Other", rules=[(2, "08:00", "09:00")])
    learner = make_user("learner", name="Learner")
    with app.app_context():
        profile = db.session.get(User, owner.id).volunteer_profile
        profile.away_periods.append(AwayPeriod(first_on=date(2027, 1, 1), last_on=date(2027, 1, 2)))
        profile.extra_windows.append(ExtraWindow(day_on=date(2027, 1, 9), start="10:00", end="12:00"))
        # A connected calendar whose secret can't be decrypted: refreshing it reads nothing from the network.
        calendar = ExternalCalendar(volunteer_id=owner.id, kind="ics", host="calendar.example.org", secret=b"not a token")
        db.session.add(calendar)
        db.session.commit()
        ids = {"rule": profile.rules[0].id, "away": profile.away_periods[0].id, "extra": profile.extra_windows[0].id,
               "calendar": calendar.id}
    return {"owner": owner, "other": other, "learner": learner, "ids": ids}


def owner_state(app, owner) -> tuple:
    """Everything the owner could lose: their availability, state, name and zone."""
    with app.app_context():
        user = db.session.get(User, owner.id)
        return availability_document(user.volunteer_profile), user.volunteer_profile.state, user.display_name


def csrf_token(client) -> str:
    body = client.get("/auth/reset").get_data(as_text=True)  # a page every visitor gets, signed in or not
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', body).group(1)


def call(client, method, path, data, ids):
    path = path.format(**ids)
    if method == "GET":
        return client.get(path)
    return client.post(path, data={**data, "csrf_token": csrf_token(client)})


def test_the_table_lists_every_route_of_the_blueprint(app):
    served = {
        (method, re.sub(r"<int:(\w+)_id>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("account.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(method, path.split("?")[0]) for method, path, _who, _data in ROUTES} | TESTED_ELSEWHERE
    assert served == listed


@pytest.mark.parametrize(("method", "path", "who", "data"), ROUTES, ids=ROUTE_IDS)
def test_signed_out_visitors_are_sent_to_sign_in(app, client, world, method, path, who, data):
    before = owner_state(app, world["owner"])
    response = call(client, method, path, data or {}, world["ids"])
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert owner_state(app, world["owner"]) == before


@pytest.mark.parametrize(("method", "path", "who", "data"), ROUTES, ids=ROUTE_IDS)
def test_learners_get_403_on_volunteer_pages(app, client, sign_in, world, method, path, who, data):
    sign_in(world["learner"])
    before = owner_state(app, world["owner"])
    response = call(client, method, path, data or {}, world["ids"])
    if who == "any":
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403
    assert owner_state(app, world["owner"]) == before


@pytest.mark.parametrize(("method", "path", "who", "data"), ROUTES, ids=ROUTE_IDS)
def test_another_volunteer_never_reaches_the_owners_objects(app, client, sign_in, world, method, path, who, data):
    sign_in(world["other"])
    before = owner_state(app, world["owner"])
    response = call(client, method, path, data or {}, world["ids"])
    if who == "owner":
        assert response.status_code == 404
    else:
        # Their own page or their own availability: fine, and it never shows the owner's windows.
        assert response.status_code in (200, 302)
        assert "Owner" not in response.get_data(as_text=True)
    assert owner_state(app, world["owner"]) == before


@pytest.mark.parametrize(("method", "path", "who", "data"), ROUTES, ids=ROUTE_IDS)
def test_the_owner_may_use_every_route(app, client, sign_in, world, method, path, who, data):
    sign_in(world["owner"])
    response = call(client, method, path, data or {}, world["ids"])
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
    if method == "POST":
        assert response.headers["Location"].startswith("/me/")


@pytest.mark.parametrize("path", ["/me/availability/rules/0", "/me/availability/rules/99999999999999999999/edit",
                                  "/me/availability/rules/new?weekday=7", "/me/availability/rules/new"])
def test_ids_and_days_that_name_nothing_are_404(client, sign_in, world, path):
    sign_in(world["owner"])
    assert client.get(path).status_code == 404


def test_an_htmx_request_from_a_signed_out_page_is_sent_to_sign_in_whole(client, world):
    response = client.get("/me/availability/preview", headers={"HX-Request": "true", "HX-Target": "preview"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/auth/login")


def test_refusals_are_pages_in_the_users_language(client, sign_in, make_user, world):
    sign_in(make_user("learner", language="ar"))
    response = client.get("/me/availability")
    assert response.status_code == 403 and 'dir="rtl"' in response.get_data(as_text=True)
    sign_in(world["other"])
    response = client.get(f"/me/availability/rules/{world['ids']['rule']}/edit")
    assert response.status_code == 404 and "There is nothing here" in response.get_data(as_text=True)
    # An htmx swap of something that is gone reloads the page rather than swapping in an error.
    response = client.get(f"/me/availability/rules/{world['ids']['rule']}", headers={"HX-Request": "true"})
    assert response.status_code == 404 and response.headers["HX-Refresh"] == "true"
