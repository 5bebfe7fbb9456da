"""No state change on GET, anywhere (FIELD-NOTES: CVE-2026-23622 began with a GET that changed state).

Two checks over the app's whole ``url_map``, so a route added later is covered
without editing this file:

* every GET route is requested, signed out and as each kind of person, with
  ids of real objects, and the database must see no INSERT, UPDATE or DELETE;
* routes named like actions (delete, cancel, rotate, ...) accept GET only
  where GET shows a confirmation form.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from tutoring.extensions import db
from tutoring.models import AwayPeriod, ExtraWindow, User, VolunteerProfile
from tutoring.booking.operations import book_session
from tutoring.booking.slots import slots_in_range
from tutoring.timeutil import utcnow

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.IGNORECASE)
# The one write a GET may make: when a bearer token was last used (operators'
# bookkeeping, not something a page or a forged request can change on purpose).
BOOKKEEPING = re.compile(r"^\s*UPDATE api_tokens SET last_used_at", re.IGNORECASE)
ACTION_WORDS = {"delete", "remove", "cancel", "rotate", "pause", "resume", "logout", "completed", "no",
                "purge", "approve", "reject", "create", "update", "set"}
# GET shows a confirmation page with a POST form; the POST does the change.
CONFIRMATION_PAGES = {"booking.cancel", "account.delete_account"}


@pytest.fixture
def world(app, make_user):
    """A volunteer with windows every day, a learner with one booking, a coordinator, and their ids."""
    volunteer = make_user("volunteer", rules=[(day, "00:00", "23:45") for day in range(7)], min_notice_hours=0)
    learner = make_user("learner")
    coordinator = make_user("coordinator")
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        now = utcnow()
        slot = slots_in_range(profile, now + timedelta(days=1), now + timedelta(days=3), now)[0]
        booking = book_session(learner.id, volunteer.id, slot.start_at, "tutoring", "a private note")
        profile = db.session.get(VolunteerProfile, volunteer.id)
        profile.away_periods.append(AwayPeriod(first_on=(now + timedelta(days=30)).date(),
                                               last_on=(now + timedelta(days=31)).date()))
        profile.extra_windows.append(ExtraWindow(day_on=(now + timedelta(days=20)).date(), start="10:00", end="11:00"))
        db.session.commit()
        values = {
            "booking_id": booking.id,
            "volunteer_id": volunteer.id,
            "rule_id": profile.rules[0].id,
            "away_id": profile.away_periods[0].id,
            "extra_id": profile.extra_windows[0].id,
            "token": db.session.get(User, learner.id).calendar_token,
        }
    return {"people": {"learner": learner, "volunteer": volunteer, "coordinator": coordinator}, "values": values}


def get_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint != "static"),
        key=lambda rule: rule.rule,
    )


def url_for_rule(rule, values: dict) -> str:
    """The rule's URL with real ids where the world has them, else 1 (numbers) or "x" (anything else)."""
    arguments = {}
    for name in rule.arguments:
        if name in values:
            arguments[name] = values[name]
        else:
            converter = type(rule._converters[name]).__name__
            arguments[name] = 1 if converter in ("IntegerConverter", "NumberConverter") else "x"
    return rule.build(arguments, append_unknown=False)[1]


@pytest.mark.parametrize("who", [None, "learner", "volunteer", "coordinator"])
def test_no_get_route_writes_to_the_database(app, client, sign_in, bearer, world, who):
    headers = {}
    if who is not None:
        sign_in(world["people"][who])
        headers = bearer(world["people"][who])  # the API routes read bearer tokens, pages the session
    writes: list[tuple[str, str]] = []
    current = {"url": ""}

    def record(_conn, _cursor, statement, _parameters, _context, _many):
        if WRITES.match(statement) and not BOOKKEEPING.match(statement):
            writes.append((current["url"], statement.split("\n")[0][:120]))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for rule in get_rules(app):
            current["url"] = url_for_rule(rule, world["values"])
            for extra in ({}, {"HX-Request": "true"}):
                response = client.get(current["url"], headers={**headers, **extra})
                response.close()  # a streamed answer (the room's events) ends its request here, not at collection
                assert response.status_code < 500, (current["url"], response.status_code)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert writes == []


@pytest.mark.fresh_app
def test_the_test_above_can_see_a_write(app, client, world):
    """A GET route that writes is caught: the listener does see statements."""
    app.add_url_rule("/_test/writes", "test_writes", lambda: (
        db.session.execute(User.__table__.update().values(display_name="changed")), db.session.commit(), "ok")[-1])
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda _c, _cu, statement, *_rest: WRITES.match(statement) and seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get("/_test/writes")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert seen


def test_action_routes_do_not_answer_get_except_confirmation_pages(app):
    offenders = [
        (rule.rule, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and ACTION_WORDS & set(rule.endpoint.split(".")[-1].split("_"))
        and rule.endpoint not in CONFIRMATION_PAGES
    ]
    assert offenders == []


def test_get_and_post_on_one_route_are_form_pages(app, client, world, sign_in):
    """A route taking both shows a form on GET (or a redirect, or a page saying why not), never acts on it."""
    sign_in(world["people"]["learner"])
    for rule in app.url_map.iter_rules():
        if {"GET", "POST"} <= rule.methods:
            response = client.get(url_for_rule(rule, world["values"]))
            assert response.status_code in (200, 302, 303, 400, 403, 404), (rule.rule, response.status_code)
