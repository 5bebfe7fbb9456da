"""What a volunteer offers and how their slots are laid out (SPEC §1)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from tutoring.extensions import db
from tutoring.scheduling import Availability, SessionSettings
from tutoring.textsearch import subject_terms
from tutoring.textsearch.subjects import MAX_TERM

if TYPE_CHECKING:
    from tutoring.models.availability import AvailabilityRule, AwayPeriod, ExtraWindow
    from tutoring.models.user import User

STATES = ("pending", "approved", "paused")
KINDS = ("tutoring", "mentoring", "support")

# JSONB on PostgreSQL so `@>` containment can filter by subject or language.
JSONList = JSON().with_variant(JSONB(), "postgresql")
# Terms compare byte by byte on both databases (SQLite's default), so a
# prefix is an index range: PostgreSQL's default collation orders otherwise.
TermText = String(MAX_TERM).with_variant(String(MAX_TERM, collation="C"), "postgresql")


def _clean_words(values: Any, field: str) -> list[str]:
    if isinstance(values, str):
        raise TypeError(f"{field} must be a list of strings, not one string")
    cleaned = []
    for value in values:
        word = str(value).strip()
        if word and word not in cleaned:
            cleaned.append(word)
    return cleaned


class VolunteerProfile(db.Model):
    """A volunteer's public profile and session settings; its id is the user's id."""

    __tablename__ = "volunteer_profiles"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES!r}", name="state"),
        CheckConstraint("session_minutes BETWEEN 10 AND 240", name="session_minutes_range"),
        CheckConstraint("buffer_minutes BETWEEN 0 AND 120", name="buffer_minutes_range"),
        CheckConstraint("min_notice_hours BETWEEN 0 AND 336", name="min_notice_hours_range"),
        CheckConstraint("horizon_days BETWEEN 1 AND 365", name="horizon_days_range"),
        CheckConstraint(
            "max_sessions_per_week IS NULL OR max_sessions_per_week BETWEEN 1 AND 100",
            name="max_sessions_per_week_range",
        ),
        # The search's `@>` containment on PostgreSQL (GIN, jsonb_path_ops);
        # plain, unused indexes on SQLite, so both databases have one schema.
        Index("ix_volunteer_profiles_subjects", "subjects", postgresql_using="gin",
              postgresql_ops={"subjects": "jsonb_path_ops"}),
        Index("ix_volunteer_profiles_languages", "languages", postgresql_using="gin",
              postgresql_ops={"languages": "jsonb_path_ops"}),
    )

    # The profile shares the user's id, so "volunteer id" means one thing everywhere.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    bio: Mapped[str] = mapped_column(Text, default="", server_default="")
    subjects: Mapped[list[str]] = mapped_column(JSONList, default=list, server_default="[]")
    # Languages spoken in sessions, as codes or names ("ar", "en", "fr").
    languages: Mapped[list[str]] = mapped_column(JSONList, default=list, server_default="[]")
    kinds: Mapped[list[str]] = mapped_column(
        JSONList, default=lambda: list(KINDS), server_default='["tutoring", "mentoring", "support"]'
    )
    session_minutes: Mapped[int] = mapped_column(default=45, server_default="45")
    buffer_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    min_notice_hours: Mapped[int] = mapped_column(default=12, server_default="12")
    horizon_days: Mapped[int] = mapped_column(default=56, server_default="56")
    max_sessions_per_week: Mapped[int | None]
    user: Mapped[User] = relationship(back_populates="volunteer_profile")
    rules: Mapped[list[AvailabilityRule]] = relationship(
        back_populates="volunteer",
        cascade="all, delete-orphan",
        order_by="(AvailabilityRule.weekday, AvailabilityRule.start_minute, AvailabilityRule.id)",
    )
    away_periods: Mapped[list[AwayPeriod]] = relationship(
        back_populates="volunteer", cascade="all, delete-orphan", order_by="AwayPeriod.first_on"
    )
    extra_windows: Mapped[list[ExtraWindow]] = relationship(
        back_populates="volunteer",
        cascade="all, delete-orphan",
        order_by="(ExtraWindow.day_on, ExtraWindow.start_minute)",
    )

    subject_terms: Mapped[list[SubjectTerm]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<VolunteerProfile {self.user_id} {self.state}>"

    @property
    def id(self) -> int:
        """The volunteer's id, which is their user id."""
        return self.user_id

    @property
    def is_bookable(self) -> bool:
        """Only approved volunteers take new bookings (paused ones keep theirs)."""
        return self.state == "approved"

    @validates("kinds")
    def _check_kinds(self, _key: str, kinds: Any) -> list[str]:
        cleaned = _clean_words(kinds, "kinds")
        unknown = [kind for kind in cleaned if kind not in KINDS]
        if unknown:
            raise ValueError(f"unknown session kinds: {', '.join(unknown)}")
        return cleaned

    @validates("subjects", "languages")
    def _check_words(self, key: str, values: Any) -> list[str]:
        cleaned = _clean_words(values, key)
        if key == "subjects":
            # The search's keys follow the subjects in the same flush: one place keeps them current.
            self.subject_terms = [SubjectTerm(term=term) for term in subject_terms(cleaned)]
        return cleaned

    def settings(self) -> SessionSettings:
        """The session settings as the scheduling core takes them."""
        return SessionSettings(
            session_minutes=self.session_minutes,
            buffer_minutes=self.buffer_minutes,
            min_notice_hours=self.min_notice_hours,
            horizon_days=self.horizon_days,
            max_sessions_per_week=self.max_sessions_per_week,
        )

    def availability(self) -> Availability:
        """Everything that decides this volunteer's slots, in the user's zone."""
        return Availability(
            timezone=self.user.timezone,
            settings=self.settings(),
            rules=tuple(rule.to_weekly_rule() for rule in self.rules),
            extra=tuple(window.to_extra_window() for window in self.extra_windows),
            away=tuple(period.to_away_period() for period in self.away_periods),
        )

    @classmethod
    def approved(cls) -> list[VolunteerProfile]:
        """All bookable volunteers, by name."""
        from tutoring.models.user import User

        query = (
            select(cls)
            .join(cls.user)
            .where(cls.state == "approved", User.is_active.is_(True))
            .order_by(User.display_name, User.id)
        )
        return list(db.session.scalars(query))


class SubjectTerm(db.Model):
    """One search term of a volunteer's subjects (``tutoring.textsearch.subject_terms``), kept with the subjects.

    A search for "chem" reads the index range of terms beginning with
    "chem" (and the vocabulary tags it names), not every profile.
    """

    __tablename__ = "subject_terms"
    __table_args__ = (Index("ix_subject_terms_term", "term", "volunteer_id"),)

    # Its own key: replacing a volunteer's terms inserts before it deletes, so (volunteer, term) can't be the key.
    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"), index=True
    )
    term: Mapped[str] = mapped_column(TermText)


class ScheduleVersion(db.Model):
    """A new random number for a volunteer whenever a row the slot reader reads for them changes: set by database
    triggers in the writing transaction (migration 0021), never by the application; the key of the reader's cache
    (tutoring/booking/slots.py). A table of its own without foreign keys, so that the triggers lock no row that
    booking or account deletion lock. No row: nothing has changed since the migration (the reader caches nothing)."""

    __tablename__ = "schedule_versions"

    volunteer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
