"""The mail outbox: one row per email, written in the transaction of the change it reports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

See tutoring/models/outbox.py. The partial index on ``next_attempt_at``
(unsent rows only) serves the worker's claim query on both databases.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Instant = sa.DateTime(timezone=True)
UNSENT = sa.text("sent_at IS NULL")


def upgrade():
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.Text(), server_default="", nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", Instant, nullable=False),
        sa.Column("sent_at", Instant, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("locked_until", Instant, nullable=True),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "kind IN ('booked', 'rescheduled', 'cancelled', 'reminder', 'mail')",
            name=op.f("ck_outbox_messages_kind"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_messages_attempts_not_negative")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_outbox_messages_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_messages_dedupe_key")),
    )
    op.create_index("ix_outbox_messages_due", "outbox_messages", ["next_attempt_at"],
                    postgresql_where=UNSENT, sqlite_where=UNSENT)
    op.create_index("ix_outbox_messages_booking_id", "outbox_messages", ["booking_id"])
    op.create_index("ix_outbox_messages_sent_at", "outbox_messages", ["sent_at"])


def downgrade():
    op.drop_index("ix_outbox_messages_sent_at", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_booking_id", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
