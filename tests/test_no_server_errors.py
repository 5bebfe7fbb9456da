"""No request, however wrong, gets a 500: bad input is a 4xx with a message, never a crash.

Every route of the app (read from ``app.url_map``, so a route added later is
covered without touching this file) is tried with each method it accepts,
by a visitor, a learner, an approved volunteer and a coordinator. Path ids
are real rows of the caller, real rows of someone else, ids that don't exist
and absurd numbers; string path parts get hostile text. Query strings, form
bodies and JSON bodies carry Hypothesis-made garbage under the names the
views read, plus random names. Form posts mostly carry a valid CSRF token
(so the view itself runs), sometimes none (which must be a 400).

One world of rows is built per role; requests may change it (cancel a
booking, delete a rule), which is fine: the promise holds in any state.
"""
from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

import tutoring.services.schedules.calendar_fetch as calendar_fetch
from tutoring.extensions import db
from tutoring.models import AwayPeriod, ExtraWindow, SafeguardingReport, User
from tutoring.services.coordinators.coordination import create_programme

from tests.coordinators.coordinator_support import add_session

ROLES = ["anonymous", "learner", "volunteer", "coordinator"]
# A few per route keeps the file quick; NO_500_EXAMPLES=50 hunts deeper on demand.
EXAMPLES_PER_ROUTE = int(os.environ.get("NO_500_EXAMPLES", "4"))
SKIPPED_ENDPOINTS = {"static"}
SAFE_METHODS = {"GET", "HEAD"}

# Names the views, forms and the JSON API read (grep request.args/form, get_json, the forms and SPEC §4).
QUERY_NAMES = [
    "tz", "start", "next", "week", "weeks", "weekday", "v", "role", "page", "closed", "from", "to", "kind",
    "language", "subject", "free", "programme", "limit", "offset", "lang",
]
FORM_NAMES = [
    "start", "end", "next", "reason", "details", "resolution", "description", "decision", "back", "action", "lang",
    "name", "email", "password", "confirm", "remember", "programme_id", "support_needs_training", "kinds", "kind",
    "note", "weekday", "first_on", "last_on", "day_on", "capacity", "display_name", "timezone", "language",
    "languages", "subjects", "bio", "role", "url", "username", "weeks", "from", "session_minutes",
    "buffer_minutes", "min_notice_hours", "horizon_days", "max_sessions_per_week", "volunteer_id",
]
JSON_NAMES = [
    "volunteer_id", "start", "kind", "note", "weeks", "reason", "timezone", "session_minutes", "buffer_minutes",
    "min_notice_hours", "horizon_days", "max_sessions_per_week", "rules", "away", "extra",
]
HOSTILE_TEXT = [
    "", " ", "0", "-1", "1", "7", "-2147483649", "2147483648", "9223372036854775808", "1" * 40, "1e309", "NaN",
    "2026-02-30", "2026-13-01", "0000-01-01", "9999-12-31", "10000-01-01", "2026-W01", "20261231",
    "25:61", "24:00", "23:59", "00:00", "-01:00", "9:5",
    "2027-01-12T16:00:00Z", "2027-01-12T16:00:00+99:00", "2027-01-12T25:61", "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
    "Mars/Base", "UTC", "Africa/Cairo", "../../etc/passwd", "Etc/GMT+14",
    "\x00", "a\x00b", "مرحبا بالعالم", "\u202eevil\u202c", "ſupport", "٣", "x" * 5000,
    "tutoring", "support", "mentoring", "approve", "reject", "volunteer", "learner", "coordinator", "ar", "en",
    "true", "null", "[]", "{}", "//evil.example/", "javascript:alert(1)", "http://127.0.0.1:1/x.ics",
]
# Control characters (issue 21): refused on every text input with one clear 400, never stored, never a 500.
CONTROL_TEXT = ["\x00", "\x00a", "Lina\x00x", "English\x00lit", "\x01", "a\x08b", "\x1b[31mred", "a\x7fb", "a\x85b",
                "\x9b", "a\x0bb\x0cc"]
HOSTILE_TEXT += CONTROL_TEXT

# Raw query strings that are not UTF-8 once decoded (sent as typed).
UNDECODABLE_QUERIES = ["tz=%ff", "start=%ED%A0%80", "week=%C0%AF&from=%", "subject=%zz&language=%ff%fe", "&&=&"]
CHOICE_COOKIES = ["tz", "lang"]  # the zone the browser reported, the language the switcher chose
READ_HEADERS = ["Accept-Language", "HX-Current-URL", "HX-Boosted", "HX-History-Restore-Request", "If-None-Match",
                "If-Modified-Since", "Authorization"]
# Header values are Latin-1 text without line breaks (anything else the test client itself refuses).
header_text = st.one_of(
    st.sampled_from([h for h in HOSTILE_TEXT if h.isprintable() and h.isascii()] + [
        "ar;q=2, *;q=-1", "zz-ZZ", "Bearer", "Bearer \x7f", '"abc", W/"x"', "*", "Thu, 01 Jan 10000 00:00:00 GMT",
        "http://evil.example/?next=//x", "/me/availability?week=9999-W99",
    ]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
)
garbage_text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(), garbage_text
)
JSON_KEYS = st.sampled_from(JSON_NAMES + ["date", "end", "from", "to", "weekday"]) | st.text(max_size=8)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JSON_KEYS, inner, max_size=4),
    max_leaves=8,
)


def named_values(names: list[str], world: World) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Pairs (name, value): mostly names the views read, some random ones; a name may repeat (a list).

    Values are garbage or plausible (a real slot, a date soon), so views get past their first check
    and deeper code sees garbage too.
    """
    name = st.one_of(st.sampled_from(names), st.sampled_from(["", "x" * 300, "مرحبا", "a\x00b"]), st.text(max_size=10))
    value = st.one_of(garbage_text, garbage_text, st.sampled_from(world.plausible))
    some_names = st.lists(st.tuples(name, value), max_size=8)
    # Every name at once, mostly plausible: a form then fails on one field at a time, deep in its checks.
    mostly_plausible = st.one_of(st.sampled_from(world.plausible), st.sampled_from(world.plausible), garbage_text)
    every_name = st.tuples(*(st.tuples(st.just(each), mostly_plausible) for each in names)).map(list)
    # One hostile value in every field at once: whichever field a view reads gets it.
    all_the_same = st.sampled_from(HOSTILE_TEXT).map(lambda hostile: [(each, hostile) for each in names])
    return st.one_of(some_names, every_name, all_the_same)


def json_documents(world: World) -> st.SearchStrategy[str]:
    """JSON bodies: SPEC §4 shapes with odd values, any JSON at all, and text that isn't JSON."""
    field_value = st.one_of(json_value, st.sampled_from(world.plausible), st.sampled_from(world.real_ids))
    window = st.fixed_dictionaries({"weekday": field_value, "start": field_value, "end": field_value})
    away = st.fixed_dictionaries({"from": field_value, "to": field_value})
    extra = st.fixed_dictionaries({"date": field_value, "start": field_value, "end": field_value})
    every_field = st.fixed_dictionaries(
        {name: field_value for name in JSON_NAMES if name not in {"rules", "away", "extra"}},
        optional={"rules": st.lists(window, max_size=3), "away": st.lists(away, max_size=2),
                  "extra": st.lists(extra, max_size=2)},
    )
    all_the_same = st.one_of(json_scalar, st.sampled_from(HOSTILE_TEXT)).map(
        lambda hostile: json.dumps({name: hostile for name in JSON_NAMES})
    )
    return st.one_of(
        every_field.map(json.dumps),
        all_the_same,
        st.dictionaries(st.sampled_from(JSON_NAMES), field_value, max_size=6).map(json.dumps),
        json_value.map(json.dumps),
        st.sampled_from(["", "{", "not json", "\x00", '{"start": }', '{"weeks": 1e999}', "[" * 100_000]),
    )


@dataclass
class World:
    """The rows every role's requests point at: the caller's own, someone else's, and none at all."""

    users: dict[str, User | None]
    real_ids: list[int]
    tokens: list[str]
    plausible: list[str]
    bearer: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
def world(app, make_user, bearer, monkeypatch) -> World:
    """A learner and an approved volunteer with a booking between them, strangers with theirs, and a coordinator."""
    # Connecting a calendar reads it at once; here no address resolves, so nothing leaves the machine.
    def unreachable(host, port, limits):
        raise calendar_fetch.FetchError(calendar_fetch.UNREACHABLE, "tests reach no network")

    monkeypatch.setattr(calendar_fetch, "checked_addresses", unreachable)
    learner = make_user("learner")
    volunteer = make_user("volunteer", rules=[(1, "09:00", "12:00"), (3, "18:00", "20:00")], min_notice_hours=0)
    other_learner = make_user("learner")
    other_volunteer = make_user("volunteer", rules=[(2, "10:00", "11:00")])
    coordinator = make_user("coordinator")
    soon = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=3)
    with app.app_context():
        own_booking = add_session(volunteer.id, learner.id, soon, status="confirmed", note="own")
        past_booking = add_session(volunteer.id, learner.id, soon - timedelta(days=30), status="confirmed")
        strangers_booking = add_session(other_volunteer.id, other_learner.id, soon + timedelta(hours=5),
                                        status="confirmed")
        away = AwayPeriod(volunteer_id=volunteer.id, first_on=date.today() + timedelta(days=20),
                          last_on=date.today() + timedelta(days=22))
        extra = ExtraWindow(volunteer_id=other_volunteer.id, day_on=date.today() + timedelta(days=5),
                            start_minute=600, end_minute=660)
        report = SafeguardingReport(reporter_id=learner.id, volunteer_id=volunteer.id, booking_id=own_booking,
                                    details="A report.")
        db.session.add_all([away, extra, report])
        db.session.commit()
        programme = create_programme(db.session.get(User, coordinator.id), name="Maths", kinds=["tutoring"])
        rule_ids = [rule.id for rule in volunteer.volunteer_profile.rules + other_volunteer.volunteer_profile.rules]
        real_ids = sorted({
            learner.id, volunteer.id, other_learner.id, other_volunteer.id, coordinator.id, own_booking,
            past_booking, strangers_booking, away.id, extra.id, report.id, programme.id, *rule_ids,
        })
        tokens = [db.session.get(User, learner.id).calendar_token, db.session.get(User, volunteer.id).calendar_token]
    tuesday = date.today() + timedelta(days=(1 - date.today().weekday()) % 7 or 7)
    plausible = [
        f"{tuesday}T09:00:00Z", f"{tuesday}T09:00:00+00:00", f"{tuesday}T09:00", str(tuesday),
        str(tuesday + timedelta(days=1)), str(tuesday + timedelta(days=70)), tuesday.isoformat()[:4] + "-W10",
        "09:00", "10:30", "12:00", "Europe/London", "Asia/Kathmandu", str(volunteer.id), str(programme.id),
        "1", "2", "30", "on", "tutoring", "support", "approve", "en", "ar", "volunteer", "learner", "Someone",
        "someone@example.org",
    ]
    users = {"anonymous": None, "learner": learner, "volunteer": volunteer, "coordinator": coordinator}
    world = World(users=users, real_ids=real_ids, tokens=tokens, plausible=plausible)
    world.bearer = {role: bearer(user) for role, user in users.items() if user is not None}
    return world


def routes(app) -> list[tuple[str, str]]:
    """Every (rule, method) the app answers, except static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method))
    return sorted(found, key=lambda pair: (pair[0].rule, pair[1]))


def path_value(converter_name: str, world: World) -> st.SearchStrategy[str]:
    """A value for one path part: ids that exist (anyone's) or not, or hostile text where text is allowed."""
    if converter_name == "IntegerConverter":
        return st.one_of(
            st.sampled_from(world.real_ids),
            st.sampled_from([0, 999_999, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30]),
            st.integers(min_value=0, max_value=2**80),
        ).map(str)
    return st.one_of(
        st.sampled_from(world.tokens), st.sampled_from(HOSTILE_TEXT).filter(bool), st.text(min_size=1, max_size=30)
    )


def build_path(rule, values: dict[str, str]) -> str:
    """The rule's path with each ``<converter:name>`` replaced by its (quoted) value."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda match: quote(values[match.group(1)], safe=""), rule.rule)


@dataclass
class Call:
    """One request to send; printed whole when it gets a 500."""

    method: str
    path: str
    query: list[tuple[str, str]] | str
    headers: dict[str, str]
    cookies: dict[str, str]
    form: list[tuple[str, str]] | None = None
    as_file: bool = False  # the form's values sent as uploaded files (multipart)
    with_csrf: bool = False
    json_body: str | None = None


def calls_for(rule, method: str, world: World, role: str) -> st.SearchStrategy[Call]:
    """Requests for one route: garbage parameters, JSON for the API, forms (mostly with CSRF) elsewhere."""
    is_api = rule.rule.startswith("/api/")
    path = st.fixed_dictionaries(
        {name: path_value(type(converter).__name__, world) for name, converter in rule._converters.items()}
    ).map(lambda values: build_path(rule, values))

    @st.composite
    def call(draw) -> Call:
        headers = {}
        if draw(st.booleans()):
            headers["HX-Request"] = "true"
            if draw(st.booleans()):
                headers["HX-Target"] = draw(st.sampled_from(["main", "slots", "", "x" * 200]))
        if is_api and role != "anonymous" and draw(st.integers(0, 4)):
            headers.update(world.bearer[role])
        # Headers and cookies the app reads: the language and zone choices, HTMX's, the feed's cache checks.
        for name in draw(st.lists(st.sampled_from(READ_HEADERS), max_size=3, unique=True)):
            headers[name] = draw(header_text)
        cookie_text = header_text.filter(lambda value: len(value) < 1000)  # browsers keep cookies under 4 kB
        cookies = draw(st.dictionaries(st.sampled_from(CHOICE_COOKIES), cookie_text, max_size=2))
        query = draw(st.one_of(named_values(QUERY_NAMES, world), st.sampled_from(UNDECODABLE_QUERIES)))
        result = Call(method=method, path=draw(path), query=query, headers=headers, cookies=cookies)
        if method in SAFE_METHODS:
            return result
        if is_api:
            result.json_body = draw(json_documents(world))
            result.with_csrf = draw(st.booleans())
        else:
            result.form = draw(named_values(FORM_NAMES, world))
            result.as_file = draw(st.integers(0, 9)) == 0
            result.with_csrf = draw(st.integers(0, 5)) > 0
        return result

    return call()


def csrf_token(client) -> str:
    """A valid CSRF token for the client's session (a page every visitor gets, signed in or not)."""
    body = client.get("/auth/reset").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', body).group(1)


def send(client, call: Call):
    """Send ``call``; a form post without a token gets none, one with a token gets a fresh valid one."""
    for name in CHOICE_COOKIES:
        if name in call.cookies:
            client.set_cookie(name, call.cookies[name])
        else:
            client.delete_cookie(name)
    kwargs = {"query_string": call.query, "headers": call.headers}
    if call.form is not None:
        form = MultiDict(call.form)
        if call.as_file:
            form = MultiDict([(name, (io.BytesIO(value.encode()), "upload.txt")) for name, value in call.form])
        if call.with_csrf:
            form["csrf_token"] = csrf_token(client)
        kwargs["data"] = form
    if call.json_body is not None:
        kwargs["data"] = call.json_body
        kwargs["content_type"] = "application/json"
        if call.with_csrf:
            kwargs["headers"] = {**call.headers, "X-CSRFToken": csrf_token(client)}
    return client.open(call.path, method=call.method, **kwargs)


def describe(call: Call, role: str, response) -> str:
    """Everything needed to replay a failure."""
    body = call.json_body if call.json_body is not None else call.form
    return (f"{response.status_code} for {call.method} {call.path} as {role}: query={call.query!r} body={body!r} "
            f"as_file={call.as_file} csrf={call.with_csrf} headers={call.headers!r} cookies={call.cookies!r}")


# A crash is answered as the 500 a visitor would get (not raised into the test), so the message names the request.
@pytest.mark.app_config(PROPAGATE_EXCEPTIONS=False)
@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_a_server_error_to_any_input(app, client, sign_in, world, role):
    for rule, method in routes(app):

        @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
        @given(call=calls_for(rule, method, world, role))
        def answers_below_500(call: Call) -> None:
            user = world.users[role]
            if user is not None:
                sign_in(user)  # again: a request before may have signed out
            response = send(client, call)
            assert response.status_code < 500, describe(call, role, response)

        answers_below_500()


@pytest.mark.parametrize("role", ROLES)
def test_a_form_post_without_a_csrf_token_is_a_400_on_every_route(app, client, sign_in, world, role):
    user = world.users[role]
    for rule, method in routes(app):
        if method in SAFE_METHODS or rule.rule.startswith("/api/"):
            continue
        if user is not None:
            sign_in(user)
        path = build_path(rule, {name: str(world.real_ids[0]) for name in rule.arguments})
        response = client.open(path, method=method, data={"reason": "x"}, headers={"HX-Request": "true"})
        assert response.status_code == 400, f"{response.status_code} for {method} {path} as {role} without CSRF"


@pytest.mark.parametrize("role", ROLES)
def test_a_control_character_in_any_one_text_field_is_a_clear_400_on_every_route(app, client, sign_in, world, role):
    """Every form field (and JSON member) the views read, one at a time, carries a control character among
    plausible values: the answer is the one refusal (the API's 422 naming the field), whatever the route."""
    user = world.users[role]
    if user is not None:
        sign_in(user)
    token = csrf_token(client)
    plausible = dict(zip(FORM_NAMES, world.plausible * 3, strict=False))
    failures = []
    for rule, method in routes(app):
        if method in SAFE_METHODS:
            continue
        path = build_path(rule, {name: str(world.real_ids[0]) for name in rule.arguments})
        is_api = rule.rule.startswith("/api/")
        for index, name in enumerate(JSON_NAMES if is_api else FORM_NAMES):
            text = CONTROL_TEXT[index % len(CONTROL_TEXT)]
            if is_api:
                body = {each: plausible.get(each, "1") for each in JSON_NAMES} | {name: text}
                response = client.open(path, method=method, data=json.dumps(body), content_type="application/json",
                                       headers={**world.bearer.get(role, {}), "X-CSRFToken": token})
            else:
                form = {**plausible, name: text, "csrf_token": token}
                response = client.open(path, method=method, data=form)
            if is_api:
                refused = response.status_code == 422 and response.get_json()["error"].get("field") == name
            else:
                refused = response.status_code == 400 and b"control characters" in response.data
            if not refused:
                failures.append(f"{response.status_code} for {method} {path} with {name}={text!r}")
    assert not failures, "\n".join(failures[:20])
