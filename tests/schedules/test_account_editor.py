"""The availability editor over HTTP: every action as a plain form post (POST-redirect-GET) and as an HTMX swap,
errors next to their field, the preview's refresh signal, CSRF."""
from __future__ import annotations

import re
from datetime import date

import pytest

from tests.people.test_account_access import ROUTES
from tutoring.extensions import db
from tutoring.models import AwayPeriod, ExtraWindow, User
from tutoring.services.schedules.availability import availability_document

HTMX = {"HX-Request": "true"}


def htmx(target: str) -> dict[str, str]:
    """Headers of an htmx request aimed at the element with this id."""
    return {**HTMX, "HX-Target": target}


def plain(response) -> str:
    """The body as text, with Babel's narrow no-break spaces (``6:00\u202fPM``) made plain."""
    return response.get_data(as_text=True).replace("\u202f", " ")


def csrf_token(client) -> str:
    body = client.get("/auth/reset").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', body).group(1)


def post(client, path, headers=None, **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client)}, headers=headers or {})


def rules_of(app, user) -> list[dict]:
    with app.app_context():
        return availability_document(db.session.get(User, user.id).volunteer_profile)["rules"]


def everything_of(app, user) -> tuple:
    with app.app_context():
        found = db.session.get(User, user.id)
        return availability_document(found.volunteer_profile), found.volunteer_profile.state, found.display_name


@pytest.fixture
def volunteer(make_user, sign_in):
    """A signed-in approved volunteer in Kathmandu with a Tuesday evening window."""
    user = make_user("volunteer", name="Priya", timezone="Asia/Kathmandu", rules=[(1, "18:00", "20:00")],
                     min_notice_hours=0)
    sign_in(user)
    return user


def rule_id(app, user, index=0) -> int:
    with app.app_context():
        return db.session.get(User, user.id).volunteer_profile.rules[index].id


# --- the page ------------------------------------------------------------------------------------


def test_the_editor_shows_the_week_in_the_volunteers_own_zone_with_a_live_preview(client, volunteer):
    body = plain(client.get("/me/availability"))
    assert "Kathmandu time (UTC+05:45)" in body
    for day in ("Monday", "Tuesday", "Sunday"):
        assert day in body
    assert "6:00 PM – 8:00 PM" in body
    # The preview reloads itself when a change says so (HX-Trigger), and names its zone.
    assert re.search(r'<section id="preview"[^>]*hx-trigger="availability-changed from:body"', body)
    assert 'list="timezones"' in body and '<datalist id="timezones">' in body
    # Every form carries the CSRF token; htmx sends it as a header too (base.html).
    assert body.count('name="csrf_token"') >= body.count('method="post"')
    assert "<script>" not in body and "style=" not in body


def test_the_editor_is_in_arabic_for_an_arabic_account(client, make_user, sign_in):
    sign_in(make_user("volunteer", language="ar", timezone="Africa/Cairo", rules=[(1, "18:00", "20:00")]))
    body = client.get("/me/availability").get_data(as_text=True)
    assert 'dir="rtl"' in body and "الثلاثاء" in body and "توقيت القاهرة" in body


# --- weekly windows ------------------------------------------------------------------------------


def test_adding_a_window_without_javascript_redirects_back_to_the_day(app, client, volunteer):
    response = post(client, "/me/availability/rules", weekday="3", start="09:30", end="11:00")
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/availability#day-3"
    assert {"weekday": 3, "start": "09:30", "end": "11:00"} in rules_of(app, volunteer)
    page = plain(client.get(response.headers["Location"]))
    assert "Window added." in page and "9:30 AM – 11:00 AM" in page


def test_adding_a_window_with_htmx_returns_the_week_and_signals_the_preview(app, client, volunteer):
    # (An overnight window is asked about first, issue 22: "confirmed" is the answer's button.)
    response = post(client, "/me/availability/rules", htmx("add-rule-3"), weekday="3", start="22:00", end="01:00",
                    confirmed="22:00-01:00")
    body = plain(response)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "availability-changed"
    assert response.headers["HX-Retarget"] == "#weekly" and response.headers["HX-Reswap"] == "outerHTML"
    assert "HX-Request" in response.headers["Vary"]
    assert body.lstrip().startswith('<section id="weekly"') and "<html" not in body
    assert "10:00 PM – 1:00 AM (next day)" in body and "Window added." in body
    assert {"weekday": 3, "start": "22:00", "end": "01:00"} in rules_of(app, volunteer)


def test_an_overlapping_window_is_refused_next_to_its_field_and_nothing_is_saved(app, client, volunteer):
    before = rules_of(app, volunteer)
    response = post(client, "/me/availability/rules", htmx("add-rule-1"), weekday="1", start="19:00", end="21:00")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Trigger" not in response.headers
    assert body.lstrip().startswith('<div id="add-rule-1"')
    # The message sits under the start field, which points to it.
    assert re.search(r'aria-describedby="add-rule-1-start-error" aria-invalid="true"[^>]*id="add-rule-1-start"', body)
    assert re.search(r'<ul class="field-errors" id="add-rule-1-start-error"><li>This window overlaps another one on '
                     r"Tuesday \(18:00–20:00\)\.</li>", body)
    assert 'value="19:00"' in body  # what was typed comes back
    assert rules_of(app, volunteer) == before

    # The same without JavaScript: the whole page, with that day's form open and the error in it.
    page = post(client, "/me/availability/rules", weekday="1", start="17:00", end="18:30")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<html" in text and 'id="add-rule-1-end-error"' in text
    assert rules_of(app, volunteer) == before


def test_a_window_that_runs_into_the_next_days_window_is_refused(app, client, volunteer):
    post(client, "/me/availability/rules", weekday="2", start="01:00", end="03:00")
    response = post(client, "/me/availability/rules", htmx("add-rule-1"), weekday="1", start="23:00", end="02:00")
    assert 'id="add-rule-1-end-error"' in response.get_data(as_text=True)
    assert len(rules_of(app, volunteer)) == 2


def test_click_to_edit_swaps_text_and_form_in_place(app, client, volunteer):
    rid = rule_id(app, volunteer)
    form = client.get(f"/me/availability/rules/{rid}/edit", headers=htmx(f"rule-{rid}")).get_data(as_text=True)
    assert re.match(rf'\s*<li id="rule-{rid}" class="rule is-editing" hx-target="this" hx-swap="outerHTML">', form)
    assert f'hx-post="/me/availability/rules/{rid}"' in form and 'value="18:00"' in form
    assert f'hx-get="/me/availability/rules/{rid}"' in form  # cancel brings the text back
    text = client.get(f"/me/availability/rules/{rid}", headers=htmx(f"rule-{rid}")).get_data(as_text=True)
    assert re.match(rf'\s*<li id="rule-{rid}" class="rule" hx-target="this" hx-swap="outerHTML">', text)
    assert f'hx-get="/me/availability/rules/{rid}/edit"' in text
    # Without JavaScript the same addresses give the whole page, with that window open.
    page = client.get(f"/me/availability/rules/{rid}/edit").get_data(as_text=True)
    assert "<html" in page and f'id="rule-{rid}-start"' in page


def test_saving_an_edit_can_move_the_window_to_another_day(app, client, volunteer):
    rid = rule_id(app, volunteer)
    response = post(client, f"/me/availability/rules/{rid}", htmx(f"rule-{rid}"), weekday="5", start="08:00", end="09:00")
    assert response.headers["HX-Trigger"] == "availability-changed"
    assert response.headers["HX-Retarget"] == "#weekly"
    assert rules_of(app, volunteer) == [{"weekday": 5, "start": "08:00", "end": "09:00"}]
    body = plain(response)
    saturday = body[body.index('id="day-5"'):body.index('id="day-6"')]
    assert "8:00 AM – 9:00 AM" in saturday


def test_an_edit_with_a_bad_time_comes_back_as_the_form_with_the_error(app, client, volunteer):
    rid = rule_id(app, volunteer)
    response = post(client, f"/me/availability/rules/{rid}", htmx(f"rule-{rid}"), weekday="1", start="25:00", end="20:00")
    body = response.get_data(as_text=True)
    assert f'id="rule-{rid}-start-error"' in body and "HH:MM" in body
    assert rules_of(app, volunteer) == [{"weekday": 1, "start": "18:00", "end": "20:00"}]


def test_removing_a_window(app, client, volunteer):
    rid = rule_id(app, volunteer)
    response = post(client, f"/me/availability/rules/{rid}/delete", htmx(f"rule-{rid}"))
    assert response.headers["HX-Trigger"] == "availability-changed"
    assert f'id="rule-{rid}"' not in response.get_data(as_text=True)
    assert rules_of(app, volunteer) == []


def test_the_add_form_opens_and_closes_in_place(client, volunteer):
    opened = client.get("/me/availability/rules/new?weekday=4", headers=htmx("add-rule-4")).get_data(as_text=True)
    assert opened.lstrip().startswith('<div id="add-rule-4"') and 'name="start"' in opened
    closed = client.get("/me/availability/rules/new?weekday=4&closed=1", headers=htmx("add-rule-4")).get_data(as_text=True)
    assert 'name="start"' not in closed and 'class="add-link"' in closed
    page = client.get("/me/availability/rules/new?weekday=4").get_data(as_text=True)
    assert "<html" in page and 'id="add-rule-4-start"' in page


# --- away periods, extra windows, pause ----------------------------------------------------------


def test_away_periods_are_added_and_removed(app, client, volunteer):
    response = post(client, "/me/availability/away", htmx("away"), first_on="2026-12-24", last_on="2026-12-31")
    body = response.get_data(as_text=True)
    assert response.headers["HX-Trigger"] == "availability-changed"
    assert body.lstrip().startswith('<section id="away"') and "Dec 24" in body
    with app.app_context():
        period = db.session.get(User, volunteer.id).volunteer_profile.away_periods[0]
        assert (period.first_on, period.last_on) == (date(2026, 12, 24), date(2026, 12, 31))
    refused = post(client, "/me/availability/away", htmx("away"), first_on="2027-01-10", last_on="2027-01-02")
    assert 'id="away-last-on-error"' in refused.get_data(as_text=True) and "HX-Trigger" not in refused.headers
    response = post(client, f"/me/availability/away/{period.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/me/availability#away"
    with app.app_context():
        assert db.session.get(User, volunteer.id).volunteer_profile.away_periods == []


def test_extra_windows_are_added_and_removed(app, client, volunteer):
    response = post(client, "/me/availability/extra", day_on="2027-01-09", start="10:00", end="12:00")
    assert response.status_code == 302 and response.headers["Location"] == "/me/availability#extra"
    with app.app_context():
        window = db.session.get(User, volunteer.id).volunteer_profile.extra_windows[0]
    refused = post(client, "/me/availability/extra", htmx("extra"), day_on="2027-01-09", start="11:00", end="13:00")
    assert 'id="extra-start-error"' in refused.get_data(as_text=True)
    response = post(client, f"/me/availability/extra/{window.id}/delete", htmx("extra"))
    assert response.headers["HX-Trigger"] == "availability-changed"
    with app.app_context():
        assert db.session.get(User, volunteer.id).volunteer_profile.extra_windows == []


def test_pause_and_resume(app, client, volunteer):
    response = post(client, "/me/availability/pause", htmx("volunteer-state"))
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="volunteer-state"') and "Paused" in body
    assert response.headers["HX-Trigger"] == "availability-changed"
    assert everything_of(app, volunteer)[1] == "paused"
    response = post(client, "/me/availability/resume")
    assert response.status_code == 302
    assert everything_of(app, volunteer)[1] == "approved"


def test_a_pending_volunteer_sees_they_await_approval_and_can_still_edit(app, client, make_user, sign_in):
    pending = make_user("volunteer", approved=False, rules=[(1, "18:00", "20:00")], min_notice_hours=0)
    sign_in(pending)
    body = client.get("/me/availability").get_data(as_text=True)
    assert "Waiting for approval" in body and "Pause new bookings" not in body
    assert "Learners will see these times once a coordinator approves you." in body
    assert 'class="preview-slot"' in body  # the preview still shows what learners will get
    assert post(client, "/me/availability/rules", weekday="2", start="09:00", end="10:00").status_code == 302
    refused = post(client, "/me/availability/pause", htmx("volunteer-state"))
    assert "still waiting for a coordinator" in refused.get_data(as_text=True)
    assert everything_of(app, pending)[1] == "pending"


# --- the preview ---------------------------------------------------------------------------------


def test_the_preview_in_another_zone(client, volunteer):
    fragment = plain(client.get("/me/availability/preview?tz=Africa/Cairo", headers=htmx("preview")))
    assert fragment.lstrip().startswith('<section id="preview"')
    assert "What a learner in Cairo time" in fragment
    # Its refresh keeps the zone; a link goes back to the volunteer's own.
    assert 'hx-get="/me/availability/preview?tz=Africa/Cairo"' in fragment and "Back to my time zone" in fragment
    # Tuesday 18:00 in Kathmandu is 14:15 in Cairo (UTC+02:00, no summer time in winter).
    assert re.search(r"<time datetime=\"[^\"]+T12:15:00Z\">2:15 PM</time>", fragment)
    page = client.get("/me/availability?tz=Africa/Cairo").get_data(as_text=True)
    assert "<html" in page and "What a learner in Cairo time" in page


def test_an_unknown_preview_zone_says_so_and_shows_the_own_zone(client, volunteer):
    fragment = client.get("/me/availability/preview?tz=Mars/Base", headers=htmx("preview")).get_data(as_text=True)
    assert "is not a time zone we know" in fragment and "Kathmandu time" in fragment
    assert 'aria-invalid="true"' in fragment


# --- CSRF ----------------------------------------------------------------------------------------


POSTS = [(path, data) for method, path, _who, data in ROUTES if method == "POST"]


@pytest.fixture
def owner_with_everything(app, volunteer):
    with app.app_context():
        profile = db.session.get(User, volunteer.id).volunteer_profile
        profile.away_periods.append(AwayPeriod(first_on=date(2027, 1, 1), last_on=date(2027, 1, 2)))
        profile.extra_windows.append(ExtraWindow(day_on=date(2027, 1, 9), start="10:00", end="12:00"))
        db.session.commit()
        # No calendar is connected: the CSRF check refuses before the id is even looked up.
        return {"rule": profile.rules[0].id, "away": profile.away_periods[0].id, "extra": profile.extra_windows[0].id,
                "calendar": 1}


@pytest.mark.parametrize(("path", "data"), POSTS, ids=[path for path, _data in POSTS])
@pytest.mark.parametrize("token", [None, "forged"], ids=["no-token", "wrong-token"])
def test_a_form_post_without_the_csrf_token_is_refused_and_changes_nothing(app, client, volunteer,
                                                                           owner_with_everything, path, data, token):
    client.get("/me/availability")  # the session has a real token; the form just doesn't send it
    before = everything_of(app, volunteer)
    form = dict(data or {})
    if token:
        form["csrf_token"] = token
    response = client.post(path.format(**owner_with_everything), data=form)
    assert response.status_code == 400
    assert "The form was not sent" in response.get_data(as_text=True)
    assert everything_of(app, volunteer) == before


def test_htmx_requests_send_the_token_as_a_header(app, client, volunteer):
    token = csrf_token(client)
    response = client.post("/me/availability/rules", data={"weekday": "6", "start": "10:00", "end": "11:00"},
                           headers={**htmx("add-rule-6"), "X-CSRFToken": token})
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "availability-changed"
