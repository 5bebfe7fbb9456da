"""Checking passwords and password-reset links; the views stay thin."""
from __future__ import annotations

import hashlib
import hmac
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from limits import parse as parse_limit
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

import tutoring.models.user as user_module
from tutoring.extensions import db, limiter
from tutoring.mail import build_message, queue_mail, send_mail
from tutoring.models import OutboxMessage, User
from tutoring.models.user import normalize_email
from tutoring.services.minors import guardians
from tutoring.services.people.accounts import create_user
from tutoring.services.people.onboarding import tell_coordinators_of_new_volunteer
from tutoring.services.notices.outbox import queue
from tutoring.timeutil import utcnow

RESET_SALT = "tutoring.auth.password-reset"
RESET_MAX_AGE_SECONDS = 3600


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Made with the hasher in use, so checking it costs what checking a real one does.
    return hasher.hash("no account has this password")


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, else None.

    An unknown address still costs one argon2 verification, so response times
    don't tell which addresses have accounts.
    """
    user = User.by_email(email or "")
    if user is None:
        hasher = user_module.password_hasher
        try:
            hasher.verify(_dummy_hash(hasher), password or "")
        except (VerificationError, InvalidHashError):
            pass
        return None
    if not user.check_password(password or "") or not user.is_active:
        return None
    return user


# --- password reset links ---------------------------------------------------


class _ClockSigner(TimestampSigner):
    """Reads the time through ``utcnow`` so tests can move the clock."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


class _ResetSerializer(URLSafeTimedSerializer):
    default_signer = _ClockSigner


def _serializer() -> URLSafeTimedSerializer:
    return _ResetSerializer(current_app.secret_key, salt=RESET_SALT)


def password_fingerprint(user: User) -> str:
    """A short digest of the stored password hash: it changes whenever the password does."""
    return user.password_fingerprint()


def make_reset_token(user: User) -> str:
    """A signed token for ``user`` that stops working after an hour or once the password changes."""
    return _serializer().dumps({"user": user.id, "fp": password_fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The active user a reset token belongs to, or None if it is forged, expired or already used."""
    try:
        data = _serializer().loads(token, max_age=RESET_MAX_AGE_SECONDS)
    except BadSignature:  # also covers expired tokens (SignatureExpired)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int) or not isinstance(data.get("fp"), str):
        return None
    user = db.session.get(User, data["user"])
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(data["fp"], password_fingerprint(user)):
        return None
    return user


def reset_link(user: User) -> str:
    """The absolute address of a fresh reset link for ``user`` (on ``BASE_URL``)."""
    path = url_for("auth.reset_password", token=make_reset_token(user))
    return current_app.config["BASE_URL"] + path


def _reset_email(user: User) -> tuple[str, str, str]:
    """(subject, text, html) of the reset email for ``user``, in their language."""
    link = reset_link(user)
    with force_locale(user.language):
        subject = _("Reset your password")
        paragraphs = [
            _("Hello %(name)s,", name=user.display_name),
            _("Someone asked to reset the password of your account. To choose a new password, open this link:"),
        ]
        closing = [
            _("The link works once, for one hour."),
            _("If you did not ask for this, ignore this email: your password stays the same."),
        ]
        text = "\n\n".join([*paragraphs, link, *closing]) + "\n"
        html = render_template(
            "auth/email/reset_password.html",
            subject=subject,
            paragraphs=paragraphs,
            link=link,
            closing=closing,
            language=user.language,
        )
    return subject, text, html


def send_reset_email(user: User) -> None:
    """Email ``user`` a reset link, written in their language (queued in the outbox, committed)."""
    send_mail(user.email, *_reset_email(user))


def request_password_reset(email: str) -> None:
    """Queue a reset link if an active account has this address; otherwise do the same work and keep nothing.

    Known and unknown addresses must take the same time (issue 21: 17.7 ms
    against 10.6 ms told which addresses have accounts). So an unknown
    address gets the whole email written too (for a stand-in account),
    queued in the outbox and committed like a real one, except that the row
    is deleted again in the same transaction (a known address's row gets an
    equally cheap no-op update instead): both paths render one email, run
    the same statements and commit once, and nothing is ever sent to a
    stranger.
    ``tests/auth/test_auth_timing.py`` checks the statements match; ``bench/auth_timing.py`` times both.
    """
    user = User.by_email(email or "")
    known = user is not None and user.is_active
    recipient = user if known else _stand_in(email or "")
    try:
        subject, text, html = _reset_email(recipient)
        message = build_message(recipient.email, subject, text, html)
        row = queue(message, kind="mail", recipient=recipient.email, dedupe_key=f"mail:{message['Message-ID']}")
        db.session.flush()
        # One more write statement on either path, so both make the same round trips.
        if known:
            statement = update(OutboxMessage).where(OutboxMessage.id == row.id).values(dedupe_key=row.dedupe_key)
        else:
            statement = delete(OutboxMessage).where(OutboxMessage.id == row.id)
        db.session.execute(statement.execution_options(synchronize_session=False))
        if not known:
            db.session.expunge(row)
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("could not queue a password reset email")


def _stand_in(email: str) -> User:
    """An unsaved account shaped like a real one, so an unknown address costs what a known one does."""
    return User(id=0, email=email[:254], display_name="-", language="en",
                password_hash=_dummy_hash(user_module.password_hasher))


def end_sessions(user: User) -> None:
    """Sign ``user`` out everywhere: every session and remember-me cookie issued so far stops working; the caller commits."""
    user.end_sessions()


def set_new_password(user: User, password: str) -> None:
    """Replace ``user``'s password (every earlier reset link stops working, and the
    address's sign-in pause ends); the caller commits."""
    user.set_password(password)
    clear_failed_sign_ins(user.email)


# --- per-address sign-in slow-down (issue 21, finding 5) -----------------------
#
# Failed sign-ins are counted per address, from every IP, in the rate limiter's
# storage (memory, or Redis when several processes run). Past the limit the
# address can't sign in with a password until the window passes; the owner
# still gets in at once through a password reset, which clears the count. The
# count is kept for any address, with or without an account, so the pause
# says nothing about which addresses have one.

ACCOUNT_SIGN_IN_SCOPE = "sign-in-address"
DEFAULT_ACCOUNT_SIGN_IN_LIMIT = "10 per 15 minutes"


def _account_sign_in_limit():
    return parse_limit(current_app.config.get("AUTH_LOGIN_ACCOUNT_LIMIT", DEFAULT_ACCOUNT_SIGN_IN_LIMIT))


def _address_key(email: str) -> str:
    # A digest, so the limiter's storage never holds the addresses themselves.
    return hashlib.sha256(normalize_email(email or "").encode()).hexdigest()


def _on_limiter_storage(action: str, email: str) -> bool:
    """Run ``action`` ("test", "hit" or "clear") on the address's counter; fail open if storage is down."""
    if not limiter.enabled:
        return True
    try:
        # RATELIMIT_KEY_PREFIX too, as the limiter's own limits: deployments sharing one Redis keep apart.
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
        result = getattr(limiter.limiter, action)(
            _account_sign_in_limit(), prefix, ACCOUNT_SIGN_IN_SCOPE, _address_key(email))
    except Exception:
        current_app.logger.exception("sign-in counter unavailable")
        return True
    return result is not False


def sign_in_paused(email: str) -> bool:
    """True while too many sign-ins for this address have failed lately (from any IP)."""
    return not _on_limiter_storage("test", email)


def count_failed_sign_in(email: str) -> None:
    """Count one failed sign-in for this address, whether or not it has an account."""
    _on_limiter_storage("hit", email)


def clear_failed_sign_ins(email: str) -> None:
    """Forget the address's failed sign-ins (after a successful sign-in or password reset)."""
    _on_limiter_storage("clear", email)


# --- sign-up that doesn't tell who has an account (issue 21, finding 3) -------


def _account_email(user: User, subject: str, paragraphs: list[str], link: str, closing: list[str]) -> tuple[str, str, str]:
    """(subject, text, html) of a short account email with one link, rendered in the current locale."""
    text = "\n\n".join([*paragraphs, link, *closing]) + "\n"
    html = render_template("auth/email/reset_password.html", subject=subject, paragraphs=paragraphs,
                           link=link, closing=closing, language=user.language)
    return subject, text, html


def _sign_in_link() -> str:
    return current_app.config["BASE_URL"] + url_for("auth.login")


def _welcome_email(user: User) -> tuple[str, str, str]:
    """The mail a new account gets: it is ready, sign in here."""
    with force_locale(user.language):
        return _account_email(
            user,
            _("Your account is ready"),
            [_("Hello %(name)s,", name=user.display_name),
             _("Your account has been created. Sign in with your email address and the password you chose:")],
            _sign_in_link(),
            [_("If you did not sign up, ignore this email, or write to us and we will delete the account.")],
        )


def _signup_notice_email(user: User) -> tuple[str, str, str]:
    """The mail an existing account gets when someone signs up with its address."""
    with force_locale(user.language):
        return _account_email(
            user,
            _("Someone tried to sign up with your address"),
            [_("Hello %(name)s,", name=user.display_name),
             _("Someone tried to create a new account with this email address, which already has an account. "
               "No new account was made. To use your account, sign in here:")],
            _sign_in_link(),
            [_("If you forgot your password, choose a new one here: %(link)s",
               link=current_app.config["BASE_URL"] + url_for("auth.reset_request")),
             _("If it was not you, ignore this email: nothing has changed.")],
        )


def sign_up(email: str, *, role: str, display_name: str, timezone: str, password: str, language: str,
            kinds: list[str] | None, guardian_email: str | None = None, address_form: str = "neutral") -> None:
    """Create an account for a new address, or tell an existing owner someone tried; commits.

    The requester sees the same answer either way ("check your email"), so
    both paths do the same kind of work: one argon2 hash and one queued
    email. A new account gets a welcome mail; an address that already has
    an account gets a notice in its owner's language, and nothing changes.
    ``guardian_email``: the learner is under 18; their guardian is asked to consent (SPEC §7).
    """
    existing = User.by_email(email or "")
    if existing is None:
        try:
            user = create_user(email, role=role, display_name=display_name, timezone=timezone,
                               password=password, language=language, kinds=kinds)
            user.address_form = address_form
            db.session.flush()
        except IntegrityError:
            # The same address signing up twice at once: the unique constraint caught the second.
            db.session.rollback()
            existing = User.by_email(email)
            if existing is None:
                raise
        else:
            queue_mail(user.email, *_welcome_email(user))
            if guardian_email:
                guardians.request_consent(user, guardian_email)
            if user.is_volunteer:
                tell_coordinators_of_new_volunteer(user)  # a new volunteer waits for their decision
            db.session.commit()
            return
    else:
        user_module.hash_password(password or "")  # what creating the account would have cost
    queue_mail(existing.email, *_signup_notice_email(existing))
    db.session.commit()
