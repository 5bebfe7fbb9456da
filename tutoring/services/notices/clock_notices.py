"""Clock-change notices: a week before a standing session's local time moves for one of its two people.

A series keeps the volunteer's wall-clock time (tutoring.booking.series).
When only one person's zone changes its UTC offset (London goes to summer
time and Riyadh doesn't; Cairo does and New York doesn't yet), the gap
between their two local times changes, so for one of them the session moves
by an hour. Gmail, Outlook and Apple will show the right time, but people
remember "Tuesday at nine", so we tell them.

``queue_clock_change_notices`` runs daily-or-more (the worker's
housekeeping, and ``flask --app wsgi notices clock-changes``). It looks at
confirmed series occurrences starting within the next 7 days and compares
each with the previous live occurrence of its series: if the difference
between the learner's and the volunteer's UTC offsets is not the same, this
is the first occurrence after a one-sided change. Both people then get an
email (outbox, their language and zone) and an in-app notice naming each
person's old and new local time. The notice's unique key
``clock:<booking uid>:<user id>`` records that it went out, so running the
job again (or two workers at once) never repeats it.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from tutoring.calendar.text import N_, format_offset, locale_for, translations_for, zone_city
from tutoring.extensions import db
from tutoring.mail import build_message
from tutoring.models import Booking, Notice, Session, User, VolunteerProfile
from tutoring.services.notices import outbox
from tutoring.timeutil import utcnow

log = logging.getLogger(__name__)

# "A week before": the first occurrence after the change is at most this far away.
NOTICE_AHEAD = timedelta(days=7)



def offset_gap(start_at: datetime, volunteer_zone: str, learner_zone: str) -> timedelta:
    """How far the learner's clock is ahead of the volunteer's at ``start_at``."""
    return start_at.astimezone(ZoneInfo(learner_zone)).utcoffset() - start_at.astimezone(ZoneInfo(volunteer_zone)).utcoffset()


def changed_zones(before: datetime, after: datetime, zones: list[str]) -> list[str]:
    """Which of ``zones`` have another UTC offset at ``after`` than at ``before``."""
    return [zone for zone in zones if before.astimezone(ZoneInfo(zone)).utcoffset() != after.astimezone(ZoneInfo(zone)).utcoffset()]


def notice_key(booking: Booking, user_id: int) -> str:
    """The record that this person was told about this occurrence."""
    return f"clock:{booking.uid}:{user_id}"


def queue_clock_change_notices(now: datetime | None = None) -> int:
    """Queue the clock-change email and in-app notice for occurrences 7 days away or less; commits. Returns how many people were told."""
    now = now or utcnow()
    told = 0
    try:
        upcoming = list(
            db.session.scalars(
                select(Booking)
                .join(Booking.session)
                .where(
                    Booking.series_id.is_not(None),
                    Booking.status == "confirmed",
                    Session.status == "confirmed",
                    Session.start_at > now,
                    Session.start_at <= now + NOTICE_AHEAD,
                )
                .options(
                    joinedload(Booking.session, innerjoin=True)
                    .joinedload(Session.volunteer, innerjoin=True)
                    .joinedload(VolunteerProfile.user, innerjoin=True),
                    joinedload(Booking.learner, innerjoin=True),
                )
                .order_by(Session.start_at, Booking.id)
            ).unique()
        )
        for booking in upcoming:
            previous = _previous_live(booking)
            if previous is None:
                continue
            volunteer, learner = booking.session.volunteer.user, booking.learner
            before, after = previous.session.start_at, booking.session.start_at
            if offset_gap(before, volunteer.timezone, learner.timezone) == offset_gap(after, volunteer.timezone, learner.timezone):
                continue
            for user, other in ((volunteer, learner), (learner, volunteer)):
                if user.is_active and _tell(booking, previous, user, other, now):
                    told += 1
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return told


def _previous_live(booking: Booking) -> Booking | None:
    """The series' occurrence before ``booking`` that was not cancelled (it may be in the past)."""
    return db.session.scalar(
        select(Booking)
        .join(Booking.session)
        .where(
            Booking.series_id == booking.series_id,
            Booking.id != booking.id,
            Booking.status != "cancelled",
            Session.start_at < booking.session.start_at,
        )
        .options(joinedload(Booking.session, innerjoin=True))
        .order_by(Session.start_at.desc())
        .limit(1)
    )


def _tell(booking: Booking, previous: Booking, user: User, other: User, now: datetime) -> bool:
    """The notice row (unique key: once only) and, if it is new, the email; True if this person was told now."""
    before, after = previous.session.start_at, booking.session.start_at
    volunteer = booking.session.volunteer.user
    data = {
        "before": before.isoformat(),
        "after": after.isoformat(),
        "end": booking.session.end_at.isoformat(),
        "other_name": other.display_name,
        "other_zone": other.timezone,
        "own_zone": user.timezone,
        "changed": changed_zones(before, after, sorted({volunteer.timezone, booking.learner.timezone})),
        "series_id": booking.series_id,
    }
    key = notice_key(booking, user.id)
    table = Notice.__table__
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = db.session.execute(
        insert(table)
        .values(user_id=user.id, kind="clock_change", key=key, data=data, booking_id=booking.id, created_at=now)
        .on_conflict_do_nothing(index_elements=[table.c.key])
        .returning(table.c.id)
    ).scalar()
    if inserted is None:
        return False
    message = clock_change_email(booking.id, data, user, now)
    outbox.queue_unique(message, kind="mail", recipient=user.email, dedupe_key=key, booking_id=booking.id, now=now)
    log.info("booking %s: clock-change notice for user %s", booking.id, user.id)
    return True


# --- the words ---------------------------------------------------------------------

_SUBJECT = N_("Clocks change: new local time for your weekly session with %(name)s")
_GREETING = N_("Hello %(name)s,")
_WHY = N_("The clocks change in %(places)s, so from %(day)s your weekly session with %(name)s is at a different time for one of you.")
_YOURS_MOVES = N_("Your time: %(new)s (until now %(old)s), %(zone)s.")
_YOURS_STAYS = N_("Your time stays %(new)s, %(zone)s.")
_THEIRS_MOVES = N_("Time for %(name)s: %(new)s (until now %(old)s), %(zone)s.")
_THEIRS_STAYS = N_("Time for %(name)s stays %(new)s, %(zone)s.")
_OPEN = N_("See, move or cancel this session: %(link)s")
_AUTOMATIC = N_("This email was sent automatically; replies are not read.")


def clock_lines(data: dict, viewer_zone: str, language: str, translate) -> tuple[str, list[str]]:
    """The notice's first sentence and its two time lines, for a reader in ``viewer_zone`` (email and page share them)."""
    before, after = datetime.fromisoformat(data["before"]), datetime.fromisoformat(data["after"])
    locale = locale_for(language)
    places = translate(N_("%(first)s and %(second)s")) % {
        "first": zone_city(data["changed"][0], language), "second": zone_city(data["changed"][1], language)
    } if len(data["changed"]) == 2 else zone_city(data["changed"][0] if data["changed"] else viewer_zone, language)
    after_zone = ZoneInfo(viewer_zone)
    day = format_date(after.astimezone(after_zone).date(), "full", locale=locale)
    why = translate(_WHY) % {"places": places, "day": day, "name": data["other_name"]}
    lines = []
    for zone, moves, stays, name in (
        (viewer_zone, _YOURS_MOVES, _YOURS_STAYS, None),
        (data["other_zone"], _THEIRS_MOVES, _THEIRS_STAYS, data["other_name"]),
    ):
        tz = ZoneInfo(zone)
        old = format_time(before.astimezone(tz), "short", tzinfo=tz, locale=locale)
        new = format_time(after.astimezone(tz), "short", tzinfo=tz, locale=locale)
        label = f"{zone_city(zone, language)} ({format_offset(after.astimezone(tz).utcoffset())})"
        values = {"old": old, "new": new, "zone": label, "name": name or ""}
        lines.append(translate(moves if old != new else stays) % values)
    return why, lines


def clock_change_email(booking_id: int, data: dict, user: User, now: datetime):
    """The email for one person, in their language and zone."""
    translate = translations_for(user.language)
    why, lines = clock_lines(data, user.timezone, user.language, translate)
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/bookings/{booking_id}"
    body = "\n".join([
        translate(_GREETING) % {"name": user.display_name},
        "",
        why,
        "",
        *lines,
        "",
        translate(_OPEN) % {"link": link},
        "",
        translate(_AUTOMATIC),
    ]) + "\n"
    message = build_message(user.email, translate(_SUBJECT) % {"name": data["other_name"]}, body)
    message["Content-Language"] = user.language
    return message
