"""Programmes: what a non-profit runs (e.g. "Maths for remote schools"), and which volunteers belong to each."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.models.volunteer import KINDS, JSONList
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.volunteer import VolunteerProfile


class Programme(db.Model):
    """A programme: its public name, the session kinds it offers, and whether `support` needs training."""

    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("length(slug) > 0", name="slug_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The programme in URLs (``?programme=maths-remote``): stable, lower-case ASCII.
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    kinds: Mapped[list[str]] = mapped_column(
        JSONList, default=lambda: list(KINDS), server_default='["tutoring", "mentoring", "support"]'
    )
    # Listening lines: only volunteers a coordinator marked trained may hold `support` sessions.
    support_needs_training: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[ProgrammeMember]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", order_by="ProgrammeMember.volunteer_id"
    )

    def __repr__(self) -> str:
        return f"<Programme {self.id} {self.slug}>"

    @validates("kinds")
    def _check_kinds(self, _key: str, kinds: Any) -> list[str]:
        if isinstance(kinds, str):
            raise TypeError("kinds must be a list")
        cleaned = [kind for kind in KINDS if kind in set(kinds)]
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown session kinds: {', '.join(sorted(unknown))}")
        return cleaned

    @classmethod
    def by_slug(cls, slug: str) -> Programme | None:
        """The programme with this slug, or None."""
        # PostgreSQL can't even compare with a NUL character; no slug holds one.
        if not slug or "\x00" in slug or len(slug) > 60:
            return None
        return db.session.scalar(select(cls).where(cls.slug == slug))

    @classmethod
    def all_by_name(cls) -> list[Programme]:
        """Every programme, by name."""
        return list(db.session.scalars(select(cls).order_by(cls.name, cls.id)))


class ProgrammeMember(db.Model):
    """A volunteer's membership of a programme, and whether a coordinator marked them trained for it."""

    __tablename__ = "programme_members"
    __table_args__ = (Index("ix_programme_members_volunteer_id", "volunteer_id"),)

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    trained: Mapped[bool] = mapped_column(default=False, server_default=false())
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="members")
    volunteer: Mapped[VolunteerProfile] = relationship()

    def __repr__(self) -> str:
        return f"<ProgrammeMember p{self.programme_id} v{self.volunteer_id} trained={self.trained}>"
