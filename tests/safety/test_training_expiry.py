"""Training that ends, and bulk marking (issue 18 part 1): a reminder a month ahead in the coordinators' queue,
one email to the coordinators once it has ended (the kind is no longer offered; booked sessions stay), and
marking several volunteers trained at once. Dates are derived from the clock the test runs at."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import AuditEntry, OutboxMessage, TrainingRecord
from tutoring.services.support.training import training_day
from tutoring.services.support.training_expiry import expiring_soon, recently_expired, tell_expired_training
from tutoring.timeutil import utcnow


def set_expiry(app, volunteer, days_from_today: int) -> None:
    with app.app_context():
        record = db.session.scalar(select(TrainingRecord).where(TrainingRecord.volunteer_id == volunteer.id,
                                                                TrainingRecord.kind == "support"))
        record.trained_on = training_day() - timedelta(days=400)
        record.expires_on = training_day() + timedelta(days=days_from_today)
        db.session.commit()


@pytest.mark.any_instant
def test_a_month_ahead_is_a_reminder_and_after_the_last_day_it_has_ended(app, make_user):
    soon = make_user("volunteer", name="Soon", kinds=["support"])
    today = make_user("volunteer", name="Today", kinds=["support"])
    ended = make_user("volunteer", name="Ended", kinds=["support"])
    far = make_user("volunteer", name="Far", kinds=["support"])
    set_expiry(app, soon, 30)
    set_expiry(app, today, 0)  # the last day still counts
    set_expiry(app, ended, -1)
    set_expiry(app, far, 31)
    with app.app_context():
        assert [r.volunteer_id for r in expiring_soon()] == [today.id, soon.id]
        assert [r.volunteer_id for r in recently_expired()] == [ended.id]


def test_coordinators_are_emailed_once_when_training_ends(app, make_user):
    volunteer = make_user("volunteer", name="Noor", kinds=["support"])
    make_user("coordinator", email="c1@example.org")
    make_user("coordinator", email="c2@example.org", language="ar")
    set_expiry(app, volunteer, -2)
    with app.app_context():
        assert tell_expired_training(utcnow()) == 2
        assert tell_expired_training(utcnow()) == 0
        recipients = sorted(db.session.scalars(select(OutboxMessage.recipient)))
    assert recipients == ["c1@example.org", "c2@example.org"]


def test_the_overview_reminds_and_the_training_page_lists(app, client, make_user, sign_in):
    volunteer = make_user("volunteer", name="Noor", kinds=["support"])
    set_expiry(app, volunteer, 10)
    sign_in(make_user("coordinator"))
    assert "training ends within a month" in client.get("/coordinator/").get_data(as_text=True)
    assert "Noor" in client.get("/coordinator/training").get_data(as_text=True)


def test_several_volunteers_are_marked_trained_at_once_each_logged(app, client, make_user, sign_in):
    first = make_user("volunteer", name="First", kinds=["support"], trained=())
    second = make_user("volunteer", name="Second", kinds=["tutoring", "support"], trained=())
    sign_in(make_user("coordinator"))
    page = client.get("/coordinator/training").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    day = training_day().isoformat()
    empty = client.post("/coordinator/training/bulk", data={"csrf_token": token, "kind": "support", "trained_on": day})
    assert empty.status_code == 422
    stranger = client.post("/coordinator/training/bulk", data={"csrf_token": token, "kind": "support",
                                                                "trained_on": day, "volunteers": ["999999"]})
    assert stranger.status_code == 404
    done = client.post("/coordinator/training/bulk", data={"csrf_token": token, "kind": "support", "trained_on": day,
                                                            "volunteers": [str(first.id), str(second.id)]})
    assert done.status_code == 303
    with app.app_context():
        trained = set(db.session.scalars(select(TrainingRecord.volunteer_id).where(TrainingRecord.kind == "support")))
        assert trained == {first.id, second.id}
        assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "training.mark")) == 2
    sign_in(first)
    assert client.get("/coordinator/training").status_code == 403
