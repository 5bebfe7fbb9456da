"""Clock-change notices (issue 9): a week before a standing session moves for one person, both are told, once.

Two pairs with a change on one side only: a volunteer in London and a
learner in Riyadh (London goes to summer time on 28 March 2027), and a
volunteer in New York and a learner in Cairo (New York changes on 14 March,
Cairo, which has DST again since 2023, on 30 April 2027).
"""
from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import Notice, OutboxMessage
from tutoring.services.notices.clock_notices import queue_clock_change_notices
from tutoring.booking.series import book_series

BOOKED_AT = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def clock_mail(app) -> dict[str, list[str]]:
    """The clock-change emails queued, by recipient: their decoded bodies."""
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like("clock:%")).order_by(OutboxMessage.id)
        ).all()
        found: dict[str, list[str]] = {}
        for row in rows:
            message = email.message_from_bytes(row.message, policy=policy.default)
            found.setdefault(row.recipient, []).append(
                plain(str(message["Subject"]) + "\n" + message.get_body(("plain",)).get_content())
            )
        return found


@pytest.fixture
def london_riyadh(app, make_user):
    volunteer = make_user("volunteer", name="Amira", email="amira@example.org", timezone="Europe/London",
                          rules=[(1, "18:00", "20:00")], horizon_days=365)
    learner = make_user("learner", name="Noor", email="noor@example.org", timezone="Asia/Riyadh")
    with app.app_context():
        result = book_series(learner.id, volunteer.id, utc("2027-03-16T18:00:00Z"), 4, "tutoring", now=BOOKED_AT)
        assert len(result.bookings) == 4
    return volunteer, learner


def test_london_and_riyadh_are_told_once_a_week_before_the_first_session_after_the_change(app, london_riyadh):
    first_after = utc("2027-03-30T17:00:00Z")  # 18:00 BST; 20:00 in Riyadh instead of 21:00
    with app.app_context():
        assert queue_clock_change_notices(now=first_after - timedelta(days=7, minutes=1)) == 0
        assert queue_clock_change_notices(now=first_after - timedelta(days=7)) == 2
        assert queue_clock_change_notices(now=first_after - timedelta(days=6)) == 0
        assert queue_clock_change_notices(now=first_after - timedelta(hours=1)) == 0
        # The week after: the same gap as the week before, nothing to say.
        assert queue_clock_change_notices(now=utc("2027-04-01T00:00:00Z")) == 0
        notices = db.session.scalars(select(Notice).order_by(Notice.id)).all()
        assert [(n.kind, n.created_at) for n in notices] == [("clock_change", first_after - timedelta(days=7))] * 2
    mail = clock_mail(app)
    assert set(mail) == {"amira@example.org", "noor@example.org"} and all(len(m) == 1 for m in mail.values())
    [to_volunteer], [to_learner] = mail["amira@example.org"], mail["noor@example.org"]
    assert "The clocks change in London" in to_volunteer
    assert "Your time stays 6:00 PM" in to_volunteer
    assert "Time for Noor: 8:00 PM (until now 9:00 PM)" in to_volunteer
    assert "Your time: 8:00 PM (until now 9:00 PM)" in to_learner
    assert "Time for Amira stays 6:00 PM" in to_learner


def test_new_york_and_cairo_get_one_notice_for_each_change_a_week_before(app, make_user):
    volunteer = make_user("volunteer", name="Dana", email="dana@example.org", timezone="America/New_York",
                          rules=[(0, "10:00", "12:00")], horizon_days=365)
    learner = make_user("learner", name="Omar", email="omar@example.org", timezone="Africa/Cairo")
    with app.app_context():
        book_series(learner.id, volunteer.id, utc("2027-03-08T15:00:00Z"), 10, "tutoring", now=BOOKED_AT)
        # The worker runs the job every day (here at 08:00 UTC) from booking to the end of the series.
        day = BOOKED_AT
        while day < utc("2027-05-12T00:00:00Z"):
            queue_clock_change_notices(now=day)
            day += timedelta(days=1)
        notices = db.session.scalars(select(Notice).order_by(Notice.id)).all()
        sent = sorted({(n.created_at, n.data["after"]) for n in notices})
        assert len(notices) == 4
    # 15 March 14:00Z (New York now on EDT) and 3 May 14:00Z (Cairo now on EEST): each told once,
    # on the first daily run 7 days or less before.
    assert sent == [(utc("2027-03-09T08:00:00Z"), "2027-03-15T14:00:00+00:00"),
                    (utc("2027-04-27T08:00:00Z"), "2027-05-03T14:00:00+00:00")]
    mail = clock_mail(app)
    assert [len(mail["dana@example.org"]), len(mail["omar@example.org"])] == [2, 2]
    march, may = mail["omar@example.org"]
    assert "The clocks change in New York" in march and "Your time: 4:00 PM (until now 5:00 PM)" in march
    assert "The clocks change in Cairo" in may and "Your time: 5:00 PM (until now 4:00 PM)" in may
    assert all("Your time stays 10:00 AM" in text for text in mail["dana@example.org"])


def test_a_change_on_both_sides_or_none_is_no_news(app, make_user):
    volunteer = make_user("volunteer", timezone="Europe/London", rules=[(1, "18:00", "20:00")], horizon_days=365)
    learner = make_user("learner", timezone="Europe/Dublin")  # changes with London
    with app.app_context():
        book_series(learner.id, volunteer.id, utc("2027-03-16T18:00:00Z"), 4, "tutoring", now=BOOKED_AT)
        assert queue_clock_change_notices(now=utc("2027-03-24T00:00:00Z")) == 0
        assert db.session.scalars(select(Notice)).all() == []


def test_the_notice_is_in_the_app_in_the_readers_language_and_can_be_dismissed(app, client, london_riyadh, sign_in):
    volunteer, learner = london_riyadh
    with app.app_context():
        queue_clock_change_notices(now=utc("2027-03-24T00:00:00Z"))
    sign_in(learner)
    page = plain(client.get("/sessions").get_data(as_text=True))
    assert "Clocks change" in page and "until now 9:00 PM" in page
    assert "Clocks change" in client.get("/me/").get_data(as_text=True)  # the dashboard lists it too
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    notice_id = int(re.search(r'id="notice-(\d+)"', page).group(1))
    sign_in(volunteer)
    assert client.post(f"/notices/{notice_id}/dismiss", data={"csrf_token": token}).status_code == 404  # not theirs
    sign_in(learner)
    response = client.post(f"/notices/{notice_id}/dismiss", data={"csrf_token": token, "back": "//evil.example"})
    assert response.status_code == 303 and response.headers["Location"] == "/sessions"
    assert "Clocks change" not in client.get("/sessions").get_data(as_text=True)
    assert "Clocks change" not in client.get("/me/").get_data(as_text=True)


def test_the_cli_command_runs_the_job(app, london_riyadh, runner, monkeypatch):
    import tutoring.services.notices.clock_notices as clock_notices

    monkeypatch.setattr(clock_notices, "utcnow", lambda: utc("2027-03-24T00:00:00Z"))
    result = runner.invoke(args=["notices", "clock-changes"])
    assert result.exit_code == 0, result.output
    assert "2" in result.output
    with app.app_context():
        assert len(db.session.scalars(select(Notice)).all()) == 2


def test_an_arabic_reader_gets_the_email_and_the_notice_in_arabic(app, client, make_user, sign_in):
    volunteer = make_user("volunteer", name="Amira", email="amira@example.org", timezone="Europe/London",
                          rules=[(1, "18:00", "20:00")], horizon_days=365)
    learner = make_user("learner", name="نور", email="noor@example.org", timezone="Asia/Riyadh", language="ar")
    with app.app_context():
        book_series(learner.id, volunteer.id, utc("2027-03-16T18:00:00Z"), 3, "tutoring", now=BOOKED_AT)
        assert queue_clock_change_notices(now=utc("2027-03-24T00:00:00Z")) == 2
    [to_learner] = clock_mail(app)["noor@example.org"]
    assert "تغيير الساعة" in to_learner and "تتغير الساعة في" in to_learner and "وقتك:" in to_learner
    sign_in(learner)
    page = client.get("/sessions").get_data(as_text=True)
    assert "تتغير الساعة في" in page and "الوقت لدى Amira" in page


def test_the_worker_runs_the_job_and_sends_the_mail(app, london_riyadh):
    from tutoring.worker import Worker

    Worker(app, clock=lambda: utc("2027-03-24T00:00:00Z")).run(once=True)
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("clock:%"))).all()
        assert len(rows) == 2 and all(row.sent_at is not None for row in rows)
