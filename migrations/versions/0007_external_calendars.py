"""Volunteers' own calendars: connections and cached busy times (issue 10).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

See tutoring/models/external_calendar.py and docs/EXTERNAL_CALENDARS.md.
``secret`` holds the encrypted address and sign-in details; busy times are
UTC instants, at most a day each, indexed by volunteer and start for the
slot pages.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Instant = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "external_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("next_refresh_at", Instant, nullable=False),
        sa.Column("last_attempt_at", Instant, nullable=True),
        sa.Column("last_success_at", Instant, nullable=True),
        sa.Column("last_error", sa.String(length=40), nullable=True),
        sa.Column("last_error_at", Instant, nullable=True),
        sa.CheckConstraint("kind IN ('ics', 'caldav')", name=op.f("ck_external_calendars_kind")),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteer_profiles.user_id"],
            name=op.f("fk_external_calendars_volunteer_id_volunteer_profiles"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_calendars")),
    )
    op.create_index("ix_external_calendars_volunteer_id", "external_calendars", ["volunteer_id"])
    op.create_index("ix_external_calendars_next_refresh_at", "external_calendars", ["next_refresh_at"])
    op.create_table(
        "external_busy_times",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("start_at", Instant, nullable=False),
        sa.Column("end_at", Instant, nullable=False),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_external_busy_times_end_after_start")),
        sa.ForeignKeyConstraint(
            ["calendar_id"], ["external_calendars.id"],
            name=op.f("fk_external_busy_times_calendar_id_external_calendars"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteer_profiles.user_id"],
            name=op.f("fk_external_busy_times_volunteer_id_volunteer_profiles"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_busy_times")),
    )
    op.create_index(
        "ix_external_busy_times_volunteer_id_start_at", "external_busy_times", ["volunteer_id", "start_at"]
    )
    op.create_index("ix_external_busy_times_calendar_id", "external_busy_times", ["calendar_id"])


def downgrade():
    op.drop_index("ix_external_busy_times_calendar_id", table_name="external_busy_times")
    op.drop_index("ix_external_busy_times_volunteer_id_start_at", table_name="external_busy_times")
    op.drop_table("external_busy_times")
    op.drop_index("ix_external_calendars_next_refresh_at", table_name="external_calendars")
    op.drop_index("ix_external_calendars_volunteer_id", table_name="external_calendars")
    op.drop_table("external_calendars")
