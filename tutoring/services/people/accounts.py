"""Creating people and their API tokens (used by the CLI, the demo loader and tests)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from tutoring.extensions import db
from tutoring.models import KINDS, LANGUAGES, ROLES, ApiToken, TrainingRecord, User, VolunteerProfile
from tutoring.timeutil import is_valid_zone, utcnow

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything, but a megabyte "password" is an attack
LAST_USED_PRECISION = timedelta(minutes=5)


class AccountError(ValueError):
    """A request to create or change an account that can't be honoured; the message says why."""


def parse_kinds(text: str) -> list[str]:
    """``"tutoring,support"`` -> ``["tutoring", "support"]``, rejecting unknown or missing kinds."""
    kinds = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise AccountError(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    if not kinds:
        raise AccountError(f"give at least one kind: {', '.join(KINDS)}")
    return list(dict.fromkeys(kinds))


def create_user(
    email: str,
    *,
    role: str,
    display_name: str,
    timezone: str,
    password: str,
    language: str = "en",
    kinds: Iterable[str] | None = None,
    approved: bool = False,
    subjects: Iterable[str] = (),
    languages_spoken: Iterable[str] = (),
    bio: str = "",
    password_hash: str | None = None,
    trained: Iterable[str] = (),
) -> User:
    """Add a user (and, for a volunteer, their profile) to the session and flush; the caller commits.

    A volunteer offers all three kinds unless ``kinds`` says otherwise and
    starts ``pending`` unless ``approved``. ``password_hash`` (an argon2 hash
    made earlier) replaces ``password`` when many accounts share one password.
    ``trained``: kinds the volunteer is recorded trained for from today, with
    no expiry and no coordinator (the CLI's ``--trained``, demo data).
    """
    email = email.strip().lower()
    display_name = display_name.strip()
    if "@" not in email or any(ch.isspace() for ch in email) or len(email) > 254:
        raise AccountError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    if not display_name or len(display_name) > 100:
        raise AccountError("the name must be 1 to 100 characters")
    if not is_valid_zone(timezone):
        raise AccountError(f"unknown time zone {timezone!r}; use an IANA name such as Africa/Cairo")
    if language not in LANGUAGES:
        raise AccountError(f"unknown language {language!r}; choose from {', '.join(LANGUAGES)}")
    if password_hash is None and not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    trained = list(trained)
    if any(kind not in KINDS for kind in trained):
        raise AccountError(f"unknown session kinds in {', '.join(trained)}; choose from {', '.join(KINDS)}")
    if role != "volunteer" and (kinds is not None or approved or trained):
        raise AccountError("kinds and approval only apply to volunteers")
    if User.by_email(email) is not None:
        raise AccountError(f"a user with email {email} already exists")

    user = User(email=email, role=role, display_name=display_name, timezone=timezone, language=language)
    if password_hash is None:
        user.set_password(password)
    else:
        user.password_hash = password_hash
    if role == "volunteer":
        user.volunteer_profile = VolunteerProfile(
            state="approved" if approved else "pending",
            kinds=list(KINDS) if kinds is None else list(kinds),
            subjects=list(subjects),
            languages=list(languages_spoken),
            bio=bio,
        )
    db.session.add(user)
    db.session.flush()
    for kind in dict.fromkeys(trained):
        db.session.add(TrainingRecord(volunteer_id=user.id, kind=kind, trained_on=utcnow().date(),
                                      note="Recorded when the account was created."))
    if trained:
        db.session.flush()
    return user


def issue_api_token(user: User) -> str:
    """Create a personal API token for ``user`` and return it (flushed; the caller commits; shown once)."""
    if not user.is_active:
        raise AccountError(f"{user.email} is deactivated")
    _token, raw = ApiToken.issue(user)
    db.session.flush()
    return raw


def user_for_api_token(raw: str) -> User | None:
    """The active user a bearer token belongs to, noting the use; None for unknown or revoked tokens."""
    token = ApiToken.find_active(raw)
    if token is None:
        return None
    now = utcnow()
    # Coarse on purpose: writing on every API call would make reads into writes.
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        token.last_used_at = now
    return token.user
