"""Who is trained for which kind (SPEC §7 "Training", issue 18): the rule, read in one place.

Kinds listed in ``KINDS_NEEDING_TRAINING`` (env
``TUTORING_KINDS_NEEDING_TRAINING``, a comma list, default ``support``) are
offered by a volunteer only while a ``TrainingRecord`` for that kind counts
(no expiry date, or today's UTC date is on or before it). Everything that
offers or books a kind asks here: ``coordination.bookable_kinds_of`` (the
booking, series and profile pages, search cards, the booking service through
``safeguarding.check_may_book``) and ``trained_ids`` (the SQL filter of the
search, find-a-time and ``GET /api/v1/volunteers?kind=``).

This module only reads; coordinators' changes (logged) are in
``coordination.mark_trained`` / ``remove_training``.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask import current_app
from sqlalchemy import Date, bindparam, or_, select

from tutoring.extensions import db
from tutoring.models import KINDS, TrainingRecord
from tutoring.timeutil import utcnow

DEFAULT_KINDS_NEEDING_TRAINING = "support"


def parse_kinds(value: object) -> tuple[str, ...]:
    """``"support, mentoring"`` (or a list) -> the known kinds in it, in the usual order; unknown words are an error."""
    if value is None:
        return ()
    words = value.split(",") if isinstance(value, str) else [str(word) for word in value]  # type: ignore[attr-defined]
    wanted = {word.strip().lower() for word in words if word.strip()}
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValueError(f"unknown session kinds in KINDS_NEEDING_TRAINING: {', '.join(sorted(unknown))}")
    return tuple(kind for kind in KINDS if kind in wanted)


def kinds_needing_training() -> tuple[str, ...]:
    """The kinds a volunteer offers only while trained for them (the app's setting)."""
    return parse_kinds(current_app.config.get("KINDS_NEEDING_TRAINING", DEFAULT_KINDS_NEEDING_TRAINING))


def needs_training(kind: str) -> bool:
    return kind in kinds_needing_training()


def training_day(now=None) -> date:
    """The day training validity is judged on: the UTC date of ``now`` (default: the clock)."""
    return (now or utcnow()).date()


def _counts_on():
    """SQL: the record counts on the day passed as ``training_day``."""
    day = bindparam("training_day", type_=Date)
    return or_(TrainingRecord.expires_on.is_(None), TrainingRecord.expires_on >= day)


def trained_ids(kind: str):
    """SQL: ids of volunteers trained for ``kind`` on the day bound as ``training_day`` (pass it at execution)."""
    return select(TrainingRecord.volunteer_id).where(TrainingRecord.kind == kind, _counts_on())


def trained_kinds_of(volunteer_ids: Iterable[int], day: date) -> dict[int, set[str]]:
    """For each volunteer, the kinds needing training they are trained for on ``day`` (one query)."""
    ids = sorted(set(volunteer_ids))
    needing = kinds_needing_training()
    found: dict[int, set[str]] = {volunteer_id: set() for volunteer_id in ids}
    if not ids or not needing:
        return found
    rows = db.session.execute(
        select(TrainingRecord.volunteer_id, TrainingRecord.kind)
        .where(TrainingRecord.volunteer_id.in_(ids), TrainingRecord.kind.in_(needing), _counts_on()),
        {"training_day": day},
    )
    for volunteer_id, kind in rows:
        found[volunteer_id].add(kind)
    return found


def records_of(volunteer_id: int) -> list[TrainingRecord]:
    """A volunteer's training records, by kind."""
    return list(db.session.scalars(
        select(TrainingRecord).where(TrainingRecord.volunteer_id == volunteer_id).order_by(TrainingRecord.kind)
    ))


def missing_training(volunteer_id: int, offered: Iterable[str], day: date) -> list[tuple[str, date | None]]:
    """The kinds in ``offered`` that need training the volunteer lacks on ``day``: (kind, the day it expired or None).

    A volunteer's dashboard says why these aren't offered.
    """
    needing = [kind for kind in offered if kind in kinds_needing_training()]
    if not needing:
        return []
    records = {record.kind: record for record in records_of(volunteer_id)}
    missing = []
    for kind in needing:
        record = records.get(kind)
        if record is None:
            missing.append((kind, None))
        elif not record.is_valid_on(day):
            missing.append((kind, record.expires_on))
    return missing
