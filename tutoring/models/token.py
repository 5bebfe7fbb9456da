"""Personal API tokens: shown once, stored only as a SHA-256 hash."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.user import User


def hash_token(raw: str) -> str:
    """SHA-256 hex of a raw token.

    A fast hash is enough: tokens carry 256 random bits, so there is nothing
    to brute-force, and a plain digest allows an indexed lookup.
    """
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(db.Model):
    """A bearer token for the JSON API, revocable, remembering when it was last used."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="api_tokens")

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id}{' revoked' if self.revoked_at else ''}>"

    @classmethod
    def issue(cls, user: User) -> tuple[ApiToken, str]:
        """A new token row for ``user`` (added to the session) and the raw token, which is shown once."""
        raw = secrets.token_urlsafe(32)
        token = cls(user=user, token_hash=hash_token(raw))
        db.session.add(token)
        return token, raw

    @classmethod
    def find_active(cls, raw: str) -> ApiToken | None:
        """The unrevoked token row for ``raw`` whose user is active, or None."""
        if not raw:
            return None
        digest = hash_token(raw)
        # The index finds the row by the digest, which tells an attacker
        # nothing about any raw token; the final comparison is constant-time
        # all the same, so no timing difference depends on secret bytes.
        # The user comes in the same query: every API call needs them.
        token = db.session.scalar(
            select(cls)
            .where(cls.token_hash == digest, cls.revoked_at.is_(None))
            .options(joinedload(cls.user, innerjoin=True))
        )
        if token is None or not hmac.compare_digest(token.token_hash, digest) or not token.user.is_active:
            return None
        return token

    def revoke(self) -> None:
        """Stop this token from working."""
        if self.revoked_at is None:
            self.revoked_at = utcnow()
