"""Training that ends (issue 18 part 1): reminders a month ahead in the coordinators' queue, and one email to
the coordinators when a kind's training has expired (the kind then stops being offered by ``check_trained``;
sessions already booked stay). Also the coordinators' bulk marking.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tutoring.calendar.text import N_
from tutoring.extensions import db
from tutoring.formatting import kind_label
from tutoring.mail import build_message
from tutoring.models import TrainingRecord, User, VolunteerProfile
from tutoring.services.notices import outbox
from tutoring.services.coordinators.coordination import CoordinationError, NotFound, mark_trained, volunteer_or_none
from tutoring.services.support.training import kinds_needing_training, training_day

log = logging.getLogger(__name__)

REMIND_BEFORE = timedelta(days=30)
TELL_FOR = timedelta(days=30)  # an expiry older than this is not announced any more (a worker that was down long)


def _records_between(first: date, last: date) -> list[TrainingRecord]:
    return list(db.session.scalars(
        select(TrainingRecord).options(joinedload(TrainingRecord.volunteer).joinedload(VolunteerProfile.user))
        .where(TrainingRecord.expires_on >= first, TrainingRecord.expires_on <= last,
               TrainingRecord.kind.in_(kinds_needing_training()))
        .order_by(TrainingRecord.expires_on, TrainingRecord.id)
    ))


def expiring_soon(day: date | None = None) -> list[TrainingRecord]:
    """Training of a kind that needs it ending in the next month (from ``day``, UTC): the coordinators' reminders."""
    day = day or training_day()
    return _records_between(day, day + REMIND_BEFORE)


def recently_expired(day: date | None = None) -> list[TrainingRecord]:
    """Training that ended in the last month: those volunteers are no longer offered for the kind."""
    day = day or training_day()
    return _records_between(day - TELL_FOR, day - timedelta(days=1))


def tell_expired_training(now: datetime) -> int:
    """Email every active coordinator once about each training that has expired (the worker's job); commits."""
    day = training_day(now)
    records = recently_expired(day)
    if not records:
        return 0
    coordinators = list(db.session.scalars(select(User).where(User.role == "coordinator", User.is_active.is_(True))))
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    queued = 0
    try:
        for record in records:
            link = f"{base}/coordinator/volunteers/{record.volunteer_id}#training"
            for coordinator in coordinators:
                key = f"training-expired:{record.id}:{record.expires_on.isoformat()}:{coordinator.id}"
                with force_locale(coordinator.language):
                    subject = gettext("Training ended: %(name)s", name=record.volunteer.user.display_name)
                    text = "\n\n".join([
                        gettext("Hello %(name)s,", name=coordinator.display_name),
                        gettext("The training of %(name)s for %(kind)s ended on %(day)s. They are no longer offered "
                                "for it; sessions already booked stay. Renew it or follow up:",
                                name=record.volunteer.user.display_name, kind=kind_label(record.kind),
                                day=record.expires_on.isoformat()),
                        link,
                    ]) + "\n"
                queued += outbox.queue_unique(build_message(coordinator.email, subject, text), kind="mail",
                                              recipient=coordinator.email, dedupe_key=key, now=now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if queued:
        log.info("training expiry: %d emails queued", queued)
    return queued


def mark_trained_many(coordinator: User, volunteer_ids: list, kind: str, *, trained_on: date,
                      expires_on: date | None = None, note: str = "") -> int:
    """Mark several volunteers trained for ``kind`` at once (each logged as one mark); all ids are checked first."""
    ids = []
    for raw in volunteer_ids:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            raise NotFound() from None
    if not ids:
        raise CoordinationError(N_("Choose at least one volunteer."), field="volunteers")
    if any(volunteer_or_none(volunteer_id) is None for volunteer_id in ids):
        raise NotFound()
    for volunteer_id in dict.fromkeys(ids):
        mark_trained(coordinator, volunteer_id, kind, trained_on=trained_on, expires_on=expires_on, note=note)
    return len(set(ids))


def volunteers_for_training() -> list[VolunteerProfile]:
    """Approved and pending volunteers who offer a kind that needs training, by name: the bulk form's list."""
    needing = set(kinds_needing_training())
    profiles = db.session.scalars(select(VolunteerProfile).options(joinedload(VolunteerProfile.user))
                                  .where(VolunteerProfile.state.in_(("approved", "pending"))))
    return sorted((p for p in profiles if needing & set(p.kinds or ())), key=lambda p: p.user.display_name)
