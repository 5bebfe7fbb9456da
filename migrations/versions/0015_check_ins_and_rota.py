"""Check-ins after sessions, the coordinators' on-duty rota, urgent safeguarding items (issue 18 parts 4-5).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

New tables ``check_ins`` (one party's answer about one booking) and
``duty_shifts`` (who is on duty which weekday and hours, in a zone); two
new columns on ``safeguarding_reports``: ``urgent`` and ``source`` (where
the item came from). Existing reports stay non-urgent learners' reports.
Downgrade drops the tables and the columns.
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

Instant = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("mailed_at", Instant, nullable=True),
        sa.Column("answered_at", Instant, nullable=True),
        sa.Column("happened", sa.String(length=20), nullable=True),
        sa.Column("mood", sa.String(length=10), nullable=True),
        sa.Column("concern", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint("happened IS NULL OR happened IN ('yes', 'other_absent', 'self_absent')",
                           name=op.f("ck_check_ins_happened_known")),
        sa.CheckConstraint("mood IS NULL OR mood IN ('good', 'ok', 'bad')", name=op.f("ck_check_ins_mood_known")),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name=op.f("fk_check_ins_booking_id_bookings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_check_ins_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
        sa.UniqueConstraint("booking_id", "user_id", name=op.f("uq_check_ins_booking_user")),
    )
    op.create_index("ix_check_ins_user_id", "check_ins", ["user_id"])
    op.create_table(
        "duty_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_duty_shifts_weekday_range")),
        sa.ForeignKeyConstraint(["coordinator_id"], ["users.id"], name=op.f("fk_duty_shifts_coordinator_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_shifts")),
    )
    op.create_index("ix_duty_shifts_coordinator_id", "duty_shifts", ["coordinator_id"])
    with op.batch_alter_table("safeguarding_reports") as batch:
        batch.add_column(sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("source", sa.String(length=20), server_default="report", nullable=False))


def downgrade():
    with op.batch_alter_table("safeguarding_reports") as batch:
        batch.drop_column("source")
        batch.drop_column("urgent")
    op.drop_index("ix_duty_shifts_coordinator_id", table_name="duty_shifts")
    op.drop_table("duty_shifts")
    op.drop_index("ix_check_ins_user_id", table_name="check_ins")
    op.drop_table("check_ins")
