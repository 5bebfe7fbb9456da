"""Check-ins after a session, urgent items, debriefs and the on-duty rota (issue 18 parts 4 and 5).

When a session ends (its end instant, UTC, has passed) each party gets one
check-in: on the site (the booking page) and by email through a signed link
that works without signing in (queued by the worker, ``queue_due_checkins``).
Answers feed attendance (the booking becomes ``completed`` or ``no_show``).
A worried (volunteer) or unsafe (learner) answer, and a volunteer's
escalation from the booking page, open an urgent item in the safeguarding
queue and email the coordinators on duty at once (the rota, else all
coordinators). A debrief request is a non-urgent item and an email.

Privacy (SPEC §7): a check-in's comment is the writer's own. It is copied
only into the urgent item that person chose to raise; emails name no
person, carry no comment and no session topic, and log lines carry ids only.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import force_locale, gettext
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tutoring.calendar.text import N_, format_when
from tutoring.extensions import db
from tutoring.booking.slots import support_sessions_in_week, support_weekly_cap
from tutoring.mail import build_message
from tutoring.models import Booking, CheckIn, DutyShift, SafeguardingReport, Session, User, VolunteerProfile
from tutoring.models.checkin import HAPPENED, MOODS
from tutoring.models.types import MAX_ID
from tutoring.safety.rota import Shift, on_duty, parse_hhmm
from tutoring.services.notices import outbox
from tutoring.services.coordinators.coordination import CoordinationError, NotFound, audit, clean_text
from tutoring.timeutil import utcnow

log = logging.getLogger(__name__)

OFFERED_FOR = timedelta(days=7)  # a check-in is offered (and mailed) for a week after the session ends
LINK_VALID_FOR = timedelta(days=30)
ESCALATE_UNTIL = timedelta(hours=24)  # "during and right after" a support session
DEBRIEF_UNTIL = timedelta(days=14)
ABSENCE_WINDOW = timedelta(days=30)
COMMENT_MAX_LENGTH = 2000
NO_COMMENT = "-"  # the details of an item raised without words (reports need some text)


class CheckInError(CoordinationError):
    """A check-in, escalation or rota change that can't be done; nothing was written."""

    code = "check_in_refused"
    status = 409


# --- who is on duty ---------------------------------------------------------------------------


def shifts() -> list[DutyShift]:
    """Every shift, by weekday and start, with its coordinator."""
    return list(db.session.scalars(select(DutyShift).options(joinedload(DutyShift.coordinator))
                                   .order_by(DutyShift.weekday, DutyShift.start, DutyShift.id)))


def _active_coordinators() -> dict[int, User]:
    return {user.id: user for user in db.session.scalars(
        select(User).where(User.role == "coordinator", User.is_active.is_(True)).order_by(User.id))}


def on_duty_by_rota(now: datetime) -> list[User]:
    """The active coordinators whose shift covers ``now`` (maybe nobody)."""
    coordinators = _active_coordinators()
    rota = [Shift(shift.coordinator_id, shift.weekday, parse_hhmm(shift.start), parse_hhmm(shift.end), shift.timezone)
            for shift in shifts() if shift.coordinator_id in coordinators]
    return [coordinators[i] for i in on_duty(rota, now)]


def coordinators_on_duty(now: datetime) -> list[User]:
    """Who is told of an item at ``now``: the coordinators on duty by the rota; with nobody on duty, every active one."""
    return on_duty_by_rota(now) or list(_active_coordinators().values())


def add_shift(coordinator: User, values: dict) -> DutyShift:
    """A coordinator adds a shift (for themselves or another coordinator); logged; commits."""
    if not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    try:
        who = int(values.get("coordinator_id") or coordinator.id)
        weekday = int(values.get("weekday", ""))
    except (TypeError, ValueError):
        raise CoordinationError(N_("Choose a day of the week."), field="weekday") from None
    if not 0 <= weekday <= 6:
        raise CoordinationError(N_("Choose a day of the week."), field="weekday")
    person = db.session.get(User, who) if 1 <= who <= MAX_ID else None
    if person is None or not person.is_coordinator:
        raise CoordinationError(N_("Choose a coordinator."), field="coordinator_id")
    start, end = values.get("start", ""), values.get("end", "")
    if parse_hhmm(start) is None:
        raise CoordinationError(N_("Give a time as HH:MM, e.g. 09:00."), field="start")
    if parse_hhmm(end) is None:
        raise CoordinationError(N_("Give a time as HH:MM, e.g. 09:00."), field="end")
    zone = (values.get("timezone") or person.timezone or "").strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CoordinationError(N_("Choose a time zone from the list."), field="timezone") from None
    shift = DutyShift(coordinator_id=person.id, weekday=weekday, start=start, end=end, timezone=zone)
    try:
        db.session.add(shift)
        audit(coordinator, "rota.add", subject=person, reason=f"{weekday} {start}-{end} {zone}")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return shift


def remove_shift(coordinator: User, shift_id: int) -> None:
    """Remove a shift; logged; commits."""
    if not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    shift = db.session.get(DutyShift, shift_id) if 1 <= shift_id <= MAX_ID else None
    if shift is None:
        raise NotFound()
    try:
        audit(coordinator, "rota.remove", subject=shift.coordinator,
              reason=f"{shift.weekday} {shift.start}-{shift.end} {shift.timezone}")
        db.session.delete(shift)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


# --- mail -------------------------------------------------------------------------------------


def _base_url() -> str:
    return current_app.config.get("BASE_URL", "").rstrip("/")


def _queue(user: User, subject: str, text: str, key: str, booking_id: int | None, now: datetime) -> bool:
    return outbox.queue_unique(build_message(user.email, subject, text), kind="mail", recipient=user.email,
                               dedupe_key=key, booking_id=booking_id, now=now)


def _tell_on_duty(report: SafeguardingReport, now: datetime) -> int:
    """Email the coordinators on duty about an item, at once (the outbox row is due now); no names, no words."""
    link = f"{_base_url()}/coordinator/safeguarding#report-{report.id}"
    told = 0
    for coordinator in coordinators_on_duty(now):
        with force_locale(coordinator.language):
            if report.urgent:
                subject = gettext("URGENT: a safety concern was raised (#%(id)d)", id=report.id)
                lead = gettext("Someone raised an urgent safety concern about a session. Please look at it now:")
            else:
                subject = gettext("A volunteer asked for a debrief (#%(id)d)", id=report.id)
                lead = gettext("A volunteer asked to talk after a hard session. Please get in touch with them:")
            text = "\n\n".join([gettext("Hello %(name)s,", name=coordinator.display_name), lead, link]) + "\n"
        told += _queue(coordinator, subject, text, f"item:{report.id}:{coordinator.id}", None, now)
    return told


def _help_line(user: User) -> str:
    link = _base_url() + "/help"
    with force_locale(user.language):
        return gettext("Need help now? %(link)s", link=link)


# --- tokens -----------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="check-in")


def token_for(check_in: CheckIn) -> str:
    """The signed, unguessable part of a check-in's link (it names the check-in and nothing else)."""
    return _serializer().dumps(check_in.id)


def check_in_from_token(token: str, now: datetime | None = None) -> CheckIn | None:
    """The check-in a link names, or None when the link is forged, damaged or older than 30 days."""
    now = now or utcnow()
    try:
        check_in_id, signed_at = _serializer().loads(token, return_timestamp=True)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(check_in_id, int) or now - signed_at > LINK_VALID_FOR:
        return None
    return db.session.get(CheckIn, check_in_id) if 1 <= check_in_id <= MAX_ID else None


# --- offering check-ins -----------------------------------------------------------------------


def _ended(booking: Booking, now: datetime) -> bool:
    return booking.status != "cancelled" and booking.session.end_at <= now < booking.session.end_at + OFFERED_FOR


def _parties(booking: Booking) -> list[User]:
    return [booking.learner, booking.session.volunteer.user]


def check_in_for(user: User, booking: Booking, now: datetime | None = None) -> CheckIn | None:
    """``user``'s check-in about ``booking`` (one of its parties), made now if the session ended; else None."""
    now = now or utcnow()
    existing = db.session.scalar(select(CheckIn).where(CheckIn.booking_id == booking.id, CheckIn.user_id == user.id))
    if existing is not None or not _ended(booking, now):
        return existing
    try:
        check_in = CheckIn(booking_id=booking.id, user_id=user.id, created_at=now)
        db.session.add(check_in)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return check_in


def _check_in_mail(check_in: CheckIn, user: User, booking: Booking) -> tuple[str, str]:
    zone = user.timezone or "UTC"
    with force_locale(user.language):
        subject = gettext("How did your session go?")
        lines = [
            gettext("Hello %(name)s,", name=user.display_name),
            gettext("Your session of %(when)s has ended. Tell us in a few seconds whether it happened and how it "
                    "went (no sign-in needed):",
                    when=format_when(booking.session.start_at, booking.session.end_at, zone, user.language)),
            f"{_base_url()}/check-ins/{token_for(check_in)}",
        ]
        if booking.session.kind == "support":
            lines.append(_help_line(user))
    return subject, "\n\n".join(lines) + "\n"


def queue_due_checkins(now: datetime | None = None) -> int:
    """Mail each party of every session that ended in the last week its check-in link, once; commits; how many."""
    now = now or utcnow()
    try:
        bookings = list(db.session.scalars(
            select(Booking).join(Booking.session)
            .where(Booking.status != "cancelled", Session.end_at <= now, Session.end_at > now - OFFERED_FOR)
            .options(joinedload(Booking.learner), joinedload(Booking.session).joinedload(Session.volunteer)
                     .joinedload(VolunteerProfile.user))
            .order_by(Session.end_at, Booking.id)
        ).unique())
        if not bookings:
            return 0
        existing = {(c.booking_id, c.user_id): c for c in db.session.scalars(
            select(CheckIn).where(CheckIn.booking_id.in_([b.id for b in bookings])))}
        queued = 0
        for booking in bookings:
            for user in _parties(booking):
                check_in = existing.get((booking.id, user.id))
                if check_in is not None and (check_in.mailed_at is not None or check_in.answered_at is not None):
                    continue
                if not user.is_active:
                    continue
                if check_in is None:
                    check_in = CheckIn(booking_id=booking.id, user_id=user.id, created_at=now)
                    db.session.add(check_in)
                    db.session.flush()
                check_in.mailed_at = now
                subject, text = _check_in_mail(check_in, user, booking)
                queued += _queue(user, subject, text, f"check-in:{check_in.id}", booking.id, now)
                log.info("booking %s: check-in %s mailed to user %s", booking.id, check_in.id, user.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return queued


# --- answers ----------------------------------------------------------------------------------


def _raise_item(user: User, booking: Booking, comment: str, source: str, urgent: bool, now: datetime) -> SafeguardingReport:
    report = SafeguardingReport(reporter_id=user.id, volunteer_id=booking.session.volunteer_id, booking_id=booking.id,
                                details=comment or NO_COMMENT, status="open", urgent=urgent, source=source,
                                created_at=now)
    db.session.add(report)
    db.session.flush()
    _tell_on_duty(report, now)
    log.info("booking %s: %s item %s raised by user %s", booking.id, source, report.id, user.id)
    return report


def _set_attendance(check_in: CheckIn, booking: Booking) -> None:
    """What an answer says about attendance: the volunteer's word decides; a learner's fills in an unrecorded one."""
    is_volunteer = check_in.user_id == booking.session.volunteer_id
    if is_volunteer:
        status = {"yes": "completed", "other_absent": "no_show"}.get(check_in.happened or "")
    elif booking.status == "confirmed":
        status = {"yes": "completed", "self_absent": "no_show"}.get(check_in.happened or "")
    else:
        status = None
    if status is None or booking.status == "cancelled":
        return
    booking.status = status
    session = booking.session
    live = [other.status for other in session.bookings if other.status != "cancelled"]
    session.status = "no_show" if live and all(other == "no_show" for other in live) else "completed"


def answer(check_in: CheckIn, values: dict, now: datetime | None = None) -> CheckIn:
    """Record a check-in's answer (once); attendance, an urgent item if worried/unsafe, a kind notice; commits."""
    now = now or utcnow()
    if check_in.answered_at is not None:
        raise CheckInError(N_("You already answered this check-in. Thank you."))
    happened = values.get("happened")
    if happened not in HAPPENED:
        raise CheckInError(N_("Tell us whether the session happened."), field="happened")
    mood = values.get("mood") or None
    if mood is not None and mood not in MOODS:
        raise CheckInError(N_("Choose one of the faces, or none."), field="mood")
    comment = clean_text(values.get("comment"), "comment", COMMENT_MAX_LENGTH)
    booking = db.session.get(Booking, check_in.booking_id)
    concern = bool(values.get("concern")) and booking.session.kind == "support"
    try:
        check_in.happened, check_in.mood, check_in.concern, check_in.comment = happened, mood, concern, comment
        check_in.answered_at = now
        _set_attendance(check_in, booking)
        if concern:
            user = db.session.get(User, check_in.user_id)
            _raise_item(user, booking, comment, "check_in", True, now)
        db.session.flush()
        notice_repeated_absence(booking, now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    log.info("booking %s: check-in %s answered", booking.id, check_in.id)
    return check_in


def notice_repeated_absence(booking: Booking, now: datetime) -> bool:
    """A learner absent (``no_show``) twice in 30 days gets one kind email per absence from the second on.

    In the caller's transaction (the booking's status is flushed already). Called by check-ins and by the
    volunteer's "didn't come" button (``booking.operations.finish_session``).
    """
    if booking.status != "no_show":
        return False
    absences = db.session.scalar(
        select(func.count()).select_from(Booking).join(Booking.session)
        .where(Booking.learner_id == booking.learner_id, Booking.status == "no_show",
               Session.start_at > now - ABSENCE_WINDOW, Session.start_at <= now)
    )
    if absences < 2:
        return False
    learner = db.session.get(User, booking.learner_id)
    if learner is None or not learner.is_active:
        return False
    with force_locale(learner.language):
        subject = gettext("We missed you")
        lines = [
            gettext("Hello %(name)s,", name=learner.display_name),
            gettext("You missed two sessions in the last month. That's all right: life gets busy. If a time doesn't "
                    "suit you any more, cancelling early frees it for someone else, and you can always book again."),
            gettext("If something is making it hard to come, you can tell us from your sessions page:"),
            f"{_base_url()}/sessions",
        ]
        if booking.session.kind == "support":
            lines.append(_help_line(learner))
    return _queue(learner, subject, "\n\n".join(lines) + "\n", f"absence:{booking.id}", booking.id, now)


# --- the volunteer's urgent path and debriefs -------------------------------------------------


def _volunteers_support_booking(volunteer: User, booking_id: int) -> Booking:
    booking = db.session.scalar(select(Booking).join(Booking.session)
                                .where(Booking.id == booking_id, Session.volunteer_id == volunteer.id)) \
        if volunteer.is_volunteer and 1 <= booking_id <= MAX_ID else None
    if booking is None:
        raise NotFound()
    if booking.session.kind != "support":
        raise CheckInError(N_("This is for listening and support sessions."))
    return booking


def may_escalate(booking: Booking, now: datetime) -> bool:
    """During a support session and for a day after it ends, its volunteer can raise an urgent concern."""
    return (booking.session.kind == "support" and booking.status != "cancelled"
            and booking.session.start_at <= now < booking.session.end_at + ESCALATE_UNTIL)


def may_ask_debrief(booking: Booking, now: datetime) -> bool:
    """After a support session ends (for two weeks), its volunteer can ask a coordinator for a debrief."""
    return (booking.session.kind == "support" and booking.status != "cancelled"
            and booking.session.end_at <= now < booking.session.end_at + DEBRIEF_UNTIL)


def escalate(volunteer: User, booking_id: int, comment: str | None, now: datetime | None = None) -> SafeguardingReport:
    """The volunteer raises an urgent concern about their support session at once (the check-in's urgent path)."""
    now = now or utcnow()
    booking = _volunteers_support_booking(volunteer, booking_id)
    comment = clean_text(comment, "comment", COMMENT_MAX_LENGTH)
    if not may_escalate(booking, now):
        raise CheckInError(N_("This can be raised during a session and for a day after it."))
    try:
        report = _raise_item(volunteer, booking, comment, "escalation", True, now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


def ask_debrief(volunteer: User, booking_id: int, comment: str | None, now: datetime | None = None) -> SafeguardingReport:
    """The volunteer asks for a debrief after a support session: a non-urgent item and an email to whoever is on duty."""
    now = now or utcnow()
    booking = _volunteers_support_booking(volunteer, booking_id)
    comment = clean_text(comment, "comment", COMMENT_MAX_LENGTH)
    if not may_ask_debrief(booking, now):
        raise CheckInError(N_("A debrief can be asked for after a session, for two weeks."))
    existing = db.session.scalar(select(SafeguardingReport.id).where(
        SafeguardingReport.booking_id == booking.id, SafeguardingReport.source == "debrief",
        SafeguardingReport.reporter_id == volunteer.id, SafeguardingReport.status == "open"))
    if existing is not None:
        raise CheckInError(N_("You already asked for a debrief about this session. A coordinator will be in touch."))
    try:
        report = _raise_item(volunteer, booking, comment, "debrief", False, now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


def near_support_cap(now: datetime) -> list[tuple[User, int, int]]:
    """Approved support volunteers at or one short of the support weekly cap this ISO week (their zone):
    (volunteer, sessions, cap), fullest first. Looking after volunteers (issue 18 part 5)."""
    cap = support_weekly_cap()
    if cap is None:
        return []
    near = []
    for profile in db.session.scalars(select(VolunteerProfile).options(joinedload(VolunteerProfile.user))
                                      .where(VolunteerProfile.state == "approved")):
        if "support" not in (profile.kinds or ()):
            continue
        count = support_sessions_in_week(profile.user_id, profile.user.timezone, now)
        if count >= cap - 1:
            near.append((profile.user, count, cap))
    return sorted(near, key=lambda row: (-row[1], row[0].display_name))


# --- what coordinators see --------------------------------------------------------------------


def attendance(now: datetime, days: int = 30) -> dict:
    """Sessions that ended in the last ``days``: counts by status, the no-show rate, learners absent twice or more.

    Counts and display names only: never a comment or a note.
    """
    since = now - timedelta(days=days)
    rows = db.session.execute(
        select(Booking.status, func.count()).join(Booking.session)
        .where(Session.end_at > since, Session.end_at <= now, Booking.status != "cancelled")
        .group_by(Booking.status)
    ).all()
    counts = {status: count for status, count in rows}
    recorded = counts.get("completed", 0) + counts.get("no_show", 0)
    repeat = db.session.execute(
        select(User.id, User.display_name, func.count()).join(Booking, Booking.learner_id == User.id)
        .join(Booking.session)
        .where(Booking.status == "no_show", Session.start_at > since, Session.start_at <= now)
        .group_by(User.id, User.display_name).having(func.count() >= 2).order_by(func.count().desc(), User.id)
    ).all()
    volunteer_absent = db.session.scalar(
        select(func.count()).select_from(CheckIn).join(Booking, Booking.id == CheckIn.booking_id).join(Booking.session)
        .where(CheckIn.happened == "other_absent", CheckIn.user_id == Booking.learner_id,
               Session.end_at > since, Session.end_at <= now)
    )
    return {
        "days": days,
        "completed": counts.get("completed", 0),
        "no_show": counts.get("no_show", 0),
        "unrecorded": counts.get("confirmed", 0),
        "no_show_rate": (counts.get("no_show", 0) / recorded) if recorded else None,
        "volunteer_absent": volunteer_absent or 0,
        "repeat_absent": [(learner_id, name, count) for learner_id, name, count in repeat],
    }
