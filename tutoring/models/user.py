"""People: volunteers, learners and coordinators share one table."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Index, String, false, select, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import is_valid_zone, utcnow

if TYPE_CHECKING:
    from tutoring.models.booking import Booking
    from tutoring.models.token import ApiToken
    from tutoring.models.volunteer import VolunteerProfile

ROLES = ("volunteer", "learner", "coordinator")
LANGUAGES = ("ar", "en")
# How a person is addressed in Arabic (grammatical gender of verbs and pronouns); neutral phrasing by default.
ADDRESS_FORMS = ("neutral", "feminine", "masculine")

password_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2 hash of ``password`` with the current parameters."""
    return password_hasher.hash(password)


def new_calendar_token() -> str:
    """A secret feed address part: 32 random bytes (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


def normalize_email(email: str) -> str:
    """The stored form of an address: trimmed and lower-cased."""
    return email.strip().lower()


class User(UserMixin, db.Model):
    """Anyone who signs in; ``role`` says which of the three kinds of person they are."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
        CheckConstraint(f"language IN {LANGUAGES!r}", name="language"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("length(display_name) > 0", name="display_name_not_empty"),
        CheckConstraint("length(timezone) > 0", name="timezone_not_empty"),
        CheckConstraint(f"address_form IN {ADDRESS_FORMS!r}", name="address_form"),
        # The volunteer search lists people by name: a page reads a few rows in this order, not everyone.
        Index("ix_users_display_name_id", "display_name", "id"),
    )
    # is_minor's database default is read when asked, not RETURNed by every insert (see is_minor).
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    # How Arabic texts address or describe this person: verbs and pronouns agree with it ("neutral" rephrases).
    address_form: Mapped[str] = mapped_column(String(10), default="neutral", server_default="neutral")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A column named like UserMixin's property, so Flask-Login honours it.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_calendar_token)
    # Set when the owner deleted the account: the row stays, anonymised, so
    # the other party's past sessions keep their shape (services/people/privacy.py).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session id (get_id): signing out adds one, so saved session cookies stop working.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # A learner under 18 (SPEC §7 "Minors"): the least we need to know, not a birth date.
    # Deferred, with the database's default only: loaded when asked (booking, minors' pages), and
    # older revisions' tests (test_migrations) still insert and read users without it.
    is_minor: Mapped[bool] = mapped_column(server_default=false(), deferred=True)

    volunteer_profile: Mapped[VolunteerProfile | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )
    bookings: Mapped[list[Booking]] = relationship(back_populates="learner")
    api_tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"

    @validates("email")
    def _normalize_email(self, _key: str, email: str) -> str:
        return normalize_email(email)

    @validates("timezone")
    def _check_timezone(self, _key: str, zone: str) -> str:
        if not is_valid_zone(zone):
            raise ValueError(f"unknown time zone {zone!r}")
        return zone

    def set_password(self, password: str) -> None:
        """Store an argon2 hash of ``password``."""
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        """True if ``password`` matches; upgrades the hash if its parameters are outdated (caller commits)."""
        try:
            password_hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if password_hasher.check_needs_rehash(self.password_hash):
            self.set_password(password)
        return True

    def password_fingerprint(self) -> str:
        """A short digest of the stored password hash: it changes whenever the password does."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:32]

    def get_id(self) -> str:
        """Flask-Login's id for the session and remember cookie: the user id, the
        password fingerprint and the session generation, so changing the password
        or signing out signs out every device (a saved cookie included)."""
        return f"{self.id}:{self.password_fingerprint()}:{self.session_generation}"

    def end_sessions(self) -> None:
        """Make every session and remember-me cookie issued so far stop working (the caller commits)."""
        self.session_generation = (self.session_generation or 0) + 1

    def rotate_calendar_token(self) -> str:
        """Replace the secret feed token (old feed addresses stop working); returns the new one."""
        self.calendar_token = new_calendar_token()
        return self.calendar_token

    @property
    def is_volunteer(self) -> bool:
        """True for tutors, mentors and listeners."""
        return self.role == "volunteer"

    @property
    def is_learner(self) -> bool:
        """True for people who book sessions."""
        return self.role == "learner"

    @property
    def is_coordinator(self) -> bool:
        """True for programme coordinators."""
        return self.role == "coordinator"

    @classmethod
    def by_email(cls, email: str) -> User | None:
        """The user with this address (any case), or None."""
        # PostgreSQL can't even compare with a NUL character; no address holds one (signup refuses it).
        if "\x00" in email:
            return None
        return db.session.scalar(select(cls).where(cls.email == normalize_email(email)))

    @classmethod
    def by_calendar_token(cls, token: str) -> User | None:
        """The active user whose feed token is ``token``, or None."""
        if not token:
            return None
        return db.session.scalar(select(cls).where(cls.calendar_token == token, cls.is_active.is_(True)))
