"""Series, waitlist requests and in-app notices (issue 9).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Series and ``bookings.series_id`` exist since 0001. This adds the learners'
waitlist requests (tutoring/models/waitlist.py) and the in-app notices
(tutoring/models/notice.py), whose unique ``key`` records that a clock-change
or waitlist notice went out, so it never goes out twice.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Instant = sa.DateTime(timezone=True)
WAITING = sa.text("status = 'waiting'")


def upgrade():
    op.create_table(
        "waitlist_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="waiting", nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("last_notified_at", Instant, nullable=True),
        sa.Column("ended_at", Instant, nullable=True),
        sa.Column("told_starts", sa.JSON(), nullable=False),
        sa.CheckConstraint("status IN ('waiting', 'booked', 'withdrawn')", name=op.f("ck_waitlist_requests_status")),
        sa.CheckConstraint("start_minute BETWEEN 0 AND 1439", name=op.f("ck_waitlist_requests_start_minute_range")),
        sa.CheckConstraint("end_minute BETWEEN 0 AND 1439", name=op.f("ck_waitlist_requests_end_minute_range")),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["users.id"], name=op.f("fk_waitlist_requests_learner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer_profiles.user_id"],
            name=op.f("fk_waitlist_requests_volunteer_id_volunteer_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_requests")),
    )
    op.create_index("ix_waitlist_requests_volunteer_id_status", "waitlist_requests", ["volunteer_id", "status"])
    op.create_index("ix_waitlist_requests_learner_id", "waitlist_requests", ["learner_id"])
    op.create_index(
        "uq_waitlist_requests_learner_id_volunteer_id_waiting",
        "waitlist_requests",
        ["learner_id", "volunteer_id"],
        unique=True,
        postgresql_where=WAITING,
        sqlite_where=WAITING,
    )

    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("dismissed_at", Instant, nullable=True),
        sa.CheckConstraint("kind IN ('clock_change', 'waitlist')", name=op.f("ck_notices_kind")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notices_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_notices_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("key", name=op.f("uq_notices_key")),
    )
    op.create_index("ix_notices_user_id", "notices", ["user_id"])
    op.create_index("ix_notices_booking_id", "notices", ["booking_id"])


def downgrade():
    op.drop_index("ix_notices_booking_id", table_name="notices")
    op.drop_index("ix_notices_user_id", table_name="notices")
    op.drop_table("notices")
    op.drop_index("uq_waitlist_requests_learner_id_volunteer_id_waiting", table_name="waitlist_requests")
    op.drop_index("ix_waitlist_requests_learner_id", table_name="waitlist_requests")
    op.drop_index("ix_waitlist_requests_volunteer_id_status", table_name="waitlist_requests")
    op.drop_table("waitlist_requests")
