"""Crisis and emergency resources for the help page (SPEC §7 "Help", issue 18)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.models.volunteer import JSONList
from tutoring.timeutil import utcnow


class HelpResource(db.Model):
    """One line or service people can turn to: for one country (ISO 3166 alpha-2), or the default (``country`` NULL).

    The default entries are shown for countries that have none. ``is_example``
    marks demo entries (labelled "Example" wherever they are shown): they
    never carry a real number.
    """

    __tablename__ = "help_resources"
    __table_args__ = (
        CheckConstraint("country IS NULL OR length(country) = 2", name="country_code"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        Index("ix_help_resources_country", "country"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(60), nullable=True)
    text: Mapped[str | None] = mapped_column(String(60), nullable=True)  # text/SMS number or short code
    whatsapp: Mapped[str | None] = mapped_column(String(60), nullable=True)  # international number, for wa.me links
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    languages: Mapped[list[str]] = mapped_column(JSONList, default=list, server_default="[]")
    hours: Mapped[str | None] = mapped_column(String(200), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    is_example: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def whatsapp_link(self) -> str | None:
        """``https://wa.me/<digits>`` (wa.me wants the international number without +, spaces or dashes)."""
        digits = "".join(ch for ch in self.whatsapp or "" if ch.isdigit())
        return f"https://wa.me/{digits}" if digits else None

    def __repr__(self) -> str:
        return f"<HelpResource {self.id} {self.country or '*'} {self.name!r}>"
