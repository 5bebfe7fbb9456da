"""The CLI under ``flask --app wsgi`` (SPEC §3): users create, tokens create, demo."""
from collections import Counter

import pytest
from sqlalchemy import func, select

from tutoring.extensions import db
from tutoring.models import KINDS, ApiToken, AvailabilityRule, User, VolunteerProfile
from tutoring.services.people.accounts import user_for_api_token
from tutoring.services.demodata.demo import DEMO_PASSWORD

PASSWORD = "a long enough password"


def create(runner, *args, password=PASSWORD):
    """Run ``users create`` with ``password`` on standard input."""
    return runner.invoke(args=["users", "create", *args], input=f"{password}\n")


def test_users_create_volunteer_with_kinds_and_approval(app, runner):
    result = create(
        runner, "Amira@Example.org", "--role", "volunteer", "--name", "أميرة", "--timezone", "Africa/Cairo",
        "--language", "ar", "--kinds", "tutoring,support", "--approved",
    )
    assert result.exit_code == 0, result.output
    assert "amira@example.org" in result.output
    with app.app_context():
        user = User.by_email("amira@example.org")
        assert (user.role, user.display_name, user.timezone, user.language) == ("volunteer", "أميرة", "Africa/Cairo", "ar")
        assert user.check_password(PASSWORD)
        assert not user.check_password("wrong password")
        assert user.volunteer_profile.state == "approved"
        assert user.volunteer_profile.kinds == ["tutoring", "support"]


def test_users_create_volunteer_offers_all_kinds_and_waits_for_approval_by_default(app, runner):
    result = create(runner, "v@example.org", "--role", "volunteer", "--name", "V", "--timezone", "Asia/Kathmandu")
    assert result.exit_code == 0, result.output
    with app.app_context():
        profile = User.by_email("v@example.org").volunteer_profile
        assert profile.kinds == list(KINDS)
        assert profile.state == "pending"


def test_users_create_learner_has_no_profile_and_english_by_default(app, runner):
    result = create(runner, "l@example.org", "--role", "learner", "--name", "L", "--timezone", "America/New_York")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = User.by_email("l@example.org")
        assert user.volunteer_profile is None
        assert user.language == "en"


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--role", "learner", "--name", "X", "--timezone", "Mars/Olympus_Mons"], PASSWORD, "unknown time zone"),
        (["--role", "learner", "--name", "X", "--timezone", "cairo"], PASSWORD, "unknown time zone"),
        (["--role", "volunteer", "--name", "X", "--timezone", "UTC", "--kinds", "tutoring,juggling"], PASSWORD,
         "unknown kind"),
        (["--role", "learner", "--name", "X", "--timezone", "UTC", "--approved"], PASSWORD, "only apply to volunteers"),
        (["--role", "learner", "--name", "X", "--timezone", "UTC"], "short", "at least 8"),
        (["--role", "learner", "--name", "X", "--timezone", "UTC"], "", "at least 8"),
        (["--role", "learner", "--name", "  ", "--timezone", "UTC"], PASSWORD, "name"),
    ],
)
def test_users_create_refuses_bad_input_clearly_and_saves_nothing(app, runner, args, password, message):
    result = create(runner, "x@example.org", *args, password=password)
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert User.by_email("x@example.org") is None


def test_users_create_refuses_an_unknown_role(app, runner):
    result = create(runner, "x@example.org", "--role", "admin", "--name", "X", "--timezone", "UTC")
    assert result.exit_code == 2
    assert "admin" in result.output


def test_users_create_refuses_a_second_account_with_the_same_email_in_any_case(app, runner):
    args = ["--role", "learner", "--name", "X", "--timezone", "UTC"]
    assert create(runner, "same@example.org", *args).exit_code == 0
    result = create(runner, "SAME@example.org", *args)
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_tokens_create_prints_a_token_that_authenticates_and_is_stored_only_hashed(app, runner, make_user):
    user = make_user("learner", email="t@example.org")
    result = runner.invoke(args=["tokens", "create", "T@example.org"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    with app.app_context():
        assert user_for_api_token(token).id == user.id
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
        assert len(stored) == 1 and token not in stored[0]


def test_tokens_create_gives_a_new_token_each_time(runner, make_user):
    make_user("learner", email="t@example.org")
    first = runner.invoke(args=["tokens", "create", "t@example.org"]).output.strip()
    second = runner.invoke(args=["tokens", "create", "t@example.org"]).output.strip()
    assert first != second


def test_tokens_create_for_an_unknown_email_fails(runner):
    result = runner.invoke(args=["tokens", "create", "nobody@example.org"])
    assert result.exit_code == 1
    assert "no user" in result.output


def _row_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables}


def test_demo_is_idempotent(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        after_first = _row_counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert _row_counts() == after_first
    assert "0 created" in second.output


def test_demo_loads_what_the_spec_asks_for_and_prints_sign_in_details(app, runner):
    result = runner.invoke(args=["demo"])
    assert DEMO_PASSWORD in result.output
    assert "coordinator@example.org" in result.output
    with app.app_context():
        approved = VolunteerProfile.approved()
        assert len(approved) >= 12
        zones = {profile.user.timezone for profile in approved}
        assert {"Africa/Cairo", "Asia/Riyadh", "Europe/London", "America/New_York", "Asia/Kathmandu",
                "Australia/Sydney"} <= zones
        assert {"ar", "en"} <= {profile.user.language for profile in approved}
        assert all({"ar", "en"} & set(profile.languages) for profile in approved)
        assert set(KINDS) == {kind for profile in approved for kind in profile.kinds}
        rules_per_volunteer = Counter(db.session.scalars(select(AvailabilityRule.volunteer_id)))
        assert all(3 <= rules_per_volunteer[profile.user_id] <= 5 for profile in approved)
        assert all(profile.subjects for profile in approved)
        roles = Counter(db.session.scalars(select(User.role)))
        assert roles["learner"] >= 3 and roles["coordinator"] >= 1
        sami = User.by_email("sami@example.org")
        assert sami.check_password(DEMO_PASSWORD)


@pytest.mark.any_instant("sunday-late-utc", "new-years-eve", "leap-day")  # never on today's date
def test_the_demo_has_cleared_volunteers_and_minors_who_can_find_and_book_them(app, runner, client, sign_in):
    from dataclasses import replace

    from tutoring.booking.errors import GuardianConsentRequired
    from tutoring.booking.operations import book_session
    from tutoring.models import Clearance, GuardianConsent
    from tutoring.services.minors.clearance import is_cleared
    from tutoring.services.discovery.search import parse_filters, search_volunteers
    from tutoring.timeutil import utcnow

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "rana.minor@example.org" in result.output and "consented" in result.output
    assert "leo.minor@example.org" in result.output and "pending" in result.output
    assert "cleared for minors until" in result.output
    with app.app_context():
        clearances = db.session.scalars(select(Clearance)).all()
        assert len(clearances) >= 3 and all(c.checked_on for c in clearances)
        assert any(c.expires_on is not None for c in clearances)
        rana, leo = User.by_email("rana.minor@example.org"), User.by_email("leo.minor@example.org")
        assert rana.is_minor and leo.is_minor and rana.check_password(DEMO_PASSWORD)
        assert db.session.get(GuardianConsent, rana.id).status == "consented"
        assert db.session.get(GuardianConsent, leo.id).status == "pending"
        now = utcnow()
        filters = replace(parse_filters({}, now.date()), minor=True)
        found = search_volunteers(filters, rana.timezone, now, now.date()).results
        with_slots = [r for r in found if r.slots]
        assert with_slots and all(is_cleared(r.volunteer.user_id) for r in found)
        volunteer, slot = next((r.volunteer, s) for r in with_slots for s in r.slots if s.capacity == 1)
        kind = volunteer.kinds[0]
        booked = book_session(rana.id, volunteer.user_id, slot.start_at, kind)
        assert booked.status == "confirmed"
        with pytest.raises(GuardianConsentRequired):  # Leo's guardian hasn't answered
            book_session(leo.id, volunteer.user_id, slot.start_at, kind)
        sign_in(rana)
    page = client.get("/").get_data(as_text=True)  # the search as Rana sees it: cleared volunteers only
    assert "James Whitfield" in page and "Daniel Okafor" not in page
