"""Guardians of minors (SPEC §7 "Minors", issue 19): consent by a signed link, copies of booking changes.

A learner under 18 gives a guardian's address at sign-up. The guardian is
mailed (in the minor's language) a link signed with ``SECRET_KEY``
(itsdangerous, salt ``guardian``) that opens a short public page: who we
are, how sessions work, what we store, and Consent / Decline buttons. The
link carries the learner's id, the row's ``link_version`` and what it may
do (``consent`` for ``CONSENT_MAX_AGE``, ``withdraw`` for
``WITHDRAW_MAX_AGE``); nothing is stored for it.

Until the guardian consents, ``check_consent`` refuses bookings (403
``guardian_consent_required``, called by ``safeguarding.check_may_book``
under the booking lock). Afterwards the guardian gets a copy of every
booking change notice (``queue_copy``) and of every reminder before a
session (``queue_reminder_copy``): the time in the minor's zone (we
don't ask the guardian's), the volunteer's display name and the meeting
link, never the note, the cancel reason or anyone's address, with a link to
withdraw consent (``tutoring.booking.minors.withdraw``). Decisions go to
the audit log with the guardian's address as the reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import and_, or_, select, update

from tutoring.booking.errors import GuardianConsentRequired
from tutoring.calendar.text import N_, format_when, translations_for, zone_label
from tutoring.config import days_setting
from tutoring.errors import ServiceError
from tutoring.extensions import db
from tutoring.mail import build_message, queue_mail
from tutoring.models import AuditEntry, Booking, GuardianConsent, User
from tutoring.services.notices import outbox
from tutoring.services.notices.meeting import meeting_url_for
from tutoring.timeutil import utcnow

CONSENT_MAX_AGE = timedelta(days=14)
WITHDRAW_MAX_AGE = timedelta(days=400)  # a notice's link still works for a year and more
RESEND_AFTER = timedelta(minutes=10)  # "send the email again" at most this often
DEFAULT_RETENTION_DAYS = 90  # GUARDIAN_RETENTION_DAYS: how long an unanswered, declined or withdrawn request's address is kept
SALT = "guardian"
ACTIONS = ("consent", "withdraw")


class GuardianError(ServiceError):
    """A guardian request that can't be honoured; nothing was written."""

    code = "validation_error"
    status = 422


class ResendTooSoon(GuardianError):
    code = "rate_limited"
    status = 429

    def __init__(self) -> None:
        super().__init__(N_("The email was sent a few minutes ago. Please wait a little before asking again."))


# --- links --------------------------------------------------------------------------------------


class _ClockSigner(TimestampSigner):
    """Signs and checks ages on the app's clock (tests move it)."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


class _Serializer(URLSafeTimedSerializer):
    default_signer = _ClockSigner


def _serializer() -> URLSafeTimedSerializer:
    return _Serializer(current_app.secret_key, salt=SALT)


def make_token(consent: GuardianConsent, action: str) -> str:
    """A signed token letting its holder ``action`` (consent|withdraw) for this learner's current request."""
    return _serializer().dumps({"l": consent.learner_id, "v": consent.link_version, "a": action})


def consent_for_token(token: str, action: str) -> GuardianConsent | None:
    """The consent row a valid, unexpired ``action`` token names (its current version), or None."""
    max_age = CONSENT_MAX_AGE if action == "consent" else WITHDRAW_MAX_AGE
    try:
        data = _serializer().loads(token, max_age=int(max_age.total_seconds()))
    except BadSignature:  # expired ones too
        return None
    if not isinstance(data, dict) or data.get("a") != action:
        return None
    learner_id, version = data.get("l"), data.get("v")
    if not isinstance(learner_id, int) or not isinstance(version, int):
        return None
    consent = db.session.get(GuardianConsent, learner_id)
    if consent is None or consent.link_version != version or not consent.learner.is_active:
        return None
    return consent


def _link(endpoint_path: str, token: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}{endpoint_path}/{token}"


def consent_link(consent: GuardianConsent) -> str:
    """The guardian's page for this request: consent or decline."""
    return _link("/guardian/consent", make_token(consent, "consent"))


def withdraw_link(consent: GuardianConsent) -> str:
    """The guardian's page to withdraw consent (in every copy of a booking notice)."""
    return _link("/guardian/withdraw", make_token(consent, "withdraw"))


# --- the request ---------------------------------------------------------------------------------


def consent_of(learner_id: int) -> GuardianConsent | None:
    return db.session.get(GuardianConsent, learner_id)


def has_consent(learner: User) -> bool:
    """True for adults, and for minors whose guardian consented (and hasn't withdrawn)."""
    if not learner.is_minor:
        return True
    consent = consent_of(learner.id)
    return consent is not None and consent.is_given


def check_consent(learner: User) -> None:
    """Refuse booking for a minor without their guardian's consent (403 ``guardian_consent_required``)."""
    if not has_consent(learner):
        raise GuardianConsentRequired()


def request_consent(learner: User, guardian_email: str) -> GuardianConsent:
    """Record the minor's guardian and queue the consent email (the caller commits).

    The learner becomes a minor. Asking again after a decline or withdrawal
    starts a new request (older links stop working).
    """
    learner.is_minor = True
    consent = consent_of(learner.id)
    if consent is None:
        consent = GuardianConsent(learner_id=learner.id, guardian_email=guardian_email.strip().lower(),
                                  status="pending", link_version=1, requested_at=utcnow())
        db.session.add(consent)
    else:
        consent.guardian_email = guardian_email.strip().lower()
        consent.status, consent.decided_at = "pending", None
        consent.link_version += 1
        consent.requested_at = utcnow()
    db.session.flush()
    _send_request(consent, learner)
    return consent


def resend(learner: User, *, coordinator: User | None = None) -> GuardianConsent:
    """Send the consent email again (a decline or withdrawal is asked anew); at most every ``RESEND_AFTER``; commits.

    ``coordinator``: a coordinator asked for it (from /coordinator/minors); logged with them as the actor.
    """
    consent = consent_of(learner.id)
    if not learner.is_minor or consent is None or consent.is_given:
        raise GuardianError(N_("There is no request to send again. Please write to the coordinators."))
    if consent.sent_at is not None and utcnow() - consent.sent_at < RESEND_AFTER:
        raise ResendTooSoon()
    try:
        if consent.status != "pending":
            consent.status, consent.decided_at = "pending", None
            consent.link_version += 1
        _send_request(consent, learner)
        if coordinator is not None:
            # The guardian's address as the reason, like the other guardian.* entries (purged with them).
            db.session.add(AuditEntry(actor_id=coordinator.id, action="guardian.resend", subject_user_id=learner.id,
                                      reason=consent.guardian_email))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return consent


@dataclass(frozen=True)
class MinorRow:
    """A minor learner on the coordinators' page: their consent request (None once its address was forgotten)."""

    learner: User
    consent: GuardianConsent | None

    @property
    def status(self) -> str:
        return self.consent.status if self.consent is not None else "forgotten"

    @property
    def since(self) -> datetime | None:
        """When the status began: the answer's time, else when the request was (last) sent."""
        if self.consent is None:
            return None
        return self.consent.decided_at or self.consent.sent_at or self.consent.requested_at


_STATUS_ORDER = {"pending": 0, "declined": 1, "withdrawn": 2, "forgotten": 3, "consented": 4}


def minors_for_coordinators() -> list[MinorRow]:
    """Active minor learners with their consent status, those needing attention (waiting, declined) first.

    For coordinators, who may see the guardian's address; nothing of the
    learner's notes or sessions.
    """
    rows = db.session.execute(
        select(User, GuardianConsent).outerjoin(GuardianConsent, GuardianConsent.learner_id == User.id)
        .where(User.role == "learner", User.is_minor.is_(True), User.is_active.is_(True))
    ).all()
    found = [MinorRow(user, consent) for user, consent in rows]
    return sorted(found, key=lambda row: (_STATUS_ORDER.get(row.status, 9), row.learner.display_name.casefold(),
                                          row.learner.id))


def minor_or_none(learner_id: int) -> User | None:
    """The active minor learner with this id, or None (the coordinators' page 404s on anyone else)."""
    user = db.session.get(User, learner_id)
    if user is None or not user.is_active or not user.is_learner or not user.is_minor:
        return None
    return user


def _send_request(consent: GuardianConsent, learner: User) -> None:
    consent.sent_at = utcnow()
    with force_locale(learner.language):
        subject = gettext("%(name)s asks for your consent to use Tutoring", name=learner.display_name)
        text = "\n\n".join([
            gettext("Hello,"),
            gettext("%(name)s signed up to Tutoring, a free service where volunteers tutor, mentor and listen "
                    "to learners in online sessions. As they are under 18, they can book sessions only once "
                    "you agree.", name=learner.display_name),
            gettext("Read what this means and answer here (the link works for 14 days):"),
            consent_link(consent),
            gettext("If you don't know this person, ignore this email: nothing will be booked."),
        ]) + "\n"
    queue_mail(consent.guardian_email, subject, text)


def _audit(action: str, consent: GuardianConsent) -> None:
    # The guardian has no account: the entry is about the minor, with the guardian's address as the reason.
    db.session.add(AuditEntry(actor_id=None, action=action, subject_user_id=consent.learner_id,
                              reason=consent.guardian_email))


def decide(consent: GuardianConsent, agree: bool, *, now: datetime | None = None) -> GuardianConsent:
    """The guardian's answer on the consent page; logged; commits. Only a pending request can be answered."""
    if consent.status != "pending":
        raise GuardianError(N_("This request was already answered."))
    try:
        consent.status = "consented" if agree else "declined"
        consent.decided_at = now or utcnow()
        _audit("guardian.consent" if agree else "guardian.decline", consent)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return consent


def mark_withdrawn(consent: GuardianConsent, *, now: datetime | None = None) -> None:
    """Record a withdrawal (logged; the caller commits, then cancels the sessions). Old links stop working."""
    if consent.status != "consented":
        raise GuardianError(N_("Consent is not given at the moment, so there is nothing to withdraw."))
    consent.status, consent.decided_at = "withdrawn", now or utcnow()
    consent.link_version += 1
    _audit("guardian.withdraw", consent)


# --- copies of booking changes ------------------------------------------------------------------

_COPY_SUBJECTS = {
    "booked": N_("%(learner)s booked a session with %(volunteer)s"),
    "rescheduled": N_("%(learner)s's session with %(volunteer)s was moved"),
    "cancelled": N_("%(learner)s's session with %(volunteer)s was cancelled"),
}


def queue_copy(booking: Booking, change: str) -> bool:
    """Queue the minor's guardian a copy of a booking change (in the current transaction); True if one was queued.

    Only the time (in the minor's zone), the volunteer's display name, the
    meeting link and the withdrawal link: never the note, the cancel reason
    or an address.
    """
    learner = booking.learner
    if change not in _COPY_SUBJECTS or not learner.is_minor:
        return False
    consent = consent_of(learner.id)
    if consent is None or consent.status not in ("consented", "withdrawn"):
        return False
    subject, text = _copy_text(booking, consent, _COPY_SUBJECTS[change], with_room=change != "cancelled")
    queue_mail(consent.guardian_email, subject, text)
    return True


REMINDER_SUBJECT = N_("Reminder: %(learner)s has a session with %(volunteer)s")


def reminder_copy_key(booking: Booking, hours: float) -> str:
    """The dedupe key of the guardian's copy of one reminder (beside the parties' ``reminder:`` keys)."""
    return f"reminder:{booking.uid}:{booking.sequence}:{hours:g}h:guardian"


def queue_reminder_copy(booking: Booking, hours: float, *, now: datetime) -> bool:
    """Queue the consenting guardian a copy of the ``hours``-before reminder unless already queued; True if new.

    The same contents as ``queue_copy``. Kind ``reminder`` with the booking's
    id, so a move or a cancellation drops it with the parties' reminders.
    """
    learner = booking.learner
    if not learner.is_minor:
        return False
    consent = consent_of(learner.id)
    if consent is None or consent.status != "consented":  # after a withdrawal the sessions are cancelled anyway
        return False
    subject, text = _copy_text(booking, consent, REMINDER_SUBJECT, with_room=True)
    return outbox.queue_unique(build_message(consent.guardian_email, subject, text), kind="reminder",
                               recipient=consent.guardian_email, dedupe_key=reminder_copy_key(booking, hours),
                               booking_id=booking.id, now=now)


def _copy_text(booking: Booking, consent: GuardianConsent, template: str, *, with_room: bool) -> tuple[str, str]:
    """Subject and plain text of a guardian's copy, in the minor's language and zone."""
    learner = booking.learner
    session = booking.session
    volunteer_name = session.volunteer.user.display_name
    room = meeting_url_for(booking) if with_room else None
    with force_locale(learner.language):
        subject = gettext(template, learner=learner.display_name, volunteer=volunteer_name)
        lines = [
            gettext("Hello,"),
            subject + ".",
            gettext("When: %(when)s (%(zone)s)",
                    when=format_when(session.start_at, session.end_at, learner.timezone, learner.language),
                    zone=zone_label(learner.timezone, session.start_at, learner.language,
                                    translations_for(learner.language), session.end_at)),
        ]
        if room:
            lines.append(gettext("Where: %(link)s", link=room))
        if consent.status == "consented":
            lines.append(gettext("You receive this because you agreed that %(name)s may use Tutoring. "
                                 "To withdraw your consent (their future sessions are then cancelled):",
                                 name=learner.display_name))
            lines.append(withdraw_link(consent))
        return subject, "\n\n".join(lines) + "\n"


# --- data ---------------------------------------------------------------------------------------


def queue_deletion_notice(guardian_email: str, learner_name: str, language: str) -> None:
    """Tell a minor's guardian that the minor's account was deleted (in the current transaction)."""
    with force_locale(language):
        subject = gettext("%(name)s's account was deleted", name=learner_name)
        text = "\n\n".join([
            gettext("Hello,"),
            gettext("The Tutoring account of %(name)s was deleted. Their future sessions were cancelled, and "
                    "we deleted your email address with it. You will get no more emails from us about them.",
                    name=learner_name),
        ]) + "\n"
    queue_mail(guardian_email, subject, text)


def retention_days() -> int:
    return days_setting(current_app.config, "GUARDIAN_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)


def purge_unanswered(now: datetime | None = None) -> int:
    """Forget guardians' addresses of requests not answered, declined or withdrawn ``retention_days`` ago; commits.

    The row goes (so does the address); the minor stays a minor who can't book
    until a coordinator helps them ask again. Consents given are kept while
    the account lives. Returns how many rows were deleted.
    """
    cutoff = (now or utcnow()) - timedelta(days=retention_days())
    stale = db.session.scalars(select(GuardianConsent).where(or_(
        and_(GuardianConsent.status == "pending", GuardianConsent.sent_at < cutoff),
        and_(GuardianConsent.status.in_(("declined", "withdrawn")), GuardianConsent.decided_at < cutoff),
    ))).all()
    try:
        for consent in stale:
            db.session.execute(update(AuditEntry).where(AuditEntry.subject_user_id == consent.learner_id,
                                                        AuditEntry.action.like("guardian.%")).values(reason=""))
            db.session.delete(consent)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return len(stale)
