"""Initial schema: people, volunteer profiles and availability, sessions, bookings, series, API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Hand-checked against the models (tests/test_migrations.py compares them).
Instants are ``timestamp with time zone`` on PostgreSQL and naive-UTC text on
SQLite (see tutoring.models.types.UTCDateTime). The no-overlap exclusion
constraint on sessions exists on PostgreSQL only.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Instant = sa.DateTime(timezone=True)
JSONList = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NOT_CANCELLED = sa.text("status <> 'cancelled'")


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), server_default="en", nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("calendar_token", sa.String(length=64), nullable=False),
        sa.CheckConstraint("role IN ('volunteer', 'learner', 'coordinator')", name=op.f("ck_users_role")),
        sa.CheckConstraint("language IN ('ar', 'en')", name=op.f("ck_users_language")),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_users_email_lowercase")),
        sa.CheckConstraint("length(display_name) > 0", name=op.f("ck_users_display_name_not_empty")),
        sa.CheckConstraint("length(timezone) > 0", name=op.f("ck_users_timezone_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("calendar_token", name=op.f("uq_users_calendar_token")),
    )

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("last_used_at", Instant, nullable=True),
        sa.Column("revoked_at", Instant, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])

    op.create_table(
        "volunteer_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("bio", sa.Text(), server_default="", nullable=False),
        sa.Column("subjects", JSONList, server_default="[]", nullable=False),
        sa.Column("languages", JSONList, server_default="[]", nullable=False),
        sa.Column("kinds", JSONList, server_default='["tutoring", "mentoring", "support"]', nullable=False),
        sa.Column("session_minutes", sa.Integer(), server_default="45", nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), server_default="15", nullable=False),
        sa.Column("min_notice_hours", sa.Integer(), server_default="12", nullable=False),
        sa.Column("horizon_days", sa.Integer(), server_default="56", nullable=False),
        sa.Column("max_sessions_per_week", sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'approved', 'paused')", name=op.f("ck_volunteer_profiles_state")),
        sa.CheckConstraint(
            "session_minutes BETWEEN 10 AND 240", name=op.f("ck_volunteer_profiles_session_minutes_range")
        ),
        sa.CheckConstraint("buffer_minutes BETWEEN 0 AND 120", name=op.f("ck_volunteer_profiles_buffer_minutes_range")),
        sa.CheckConstraint(
            "min_notice_hours BETWEEN 0 AND 336", name=op.f("ck_volunteer_profiles_min_notice_hours_range")
        ),
        sa.CheckConstraint("horizon_days BETWEEN 1 AND 365", name=op.f("ck_volunteer_profiles_horizon_days_range")),
        sa.CheckConstraint(
            "max_sessions_per_week IS NULL OR max_sessions_per_week BETWEEN 1 AND 100",
            name=op.f("ck_volunteer_profiles_max_sessions_per_week_range"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_volunteer_profiles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_volunteer_profiles")),
    )

    op.create_table(
        "availability_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("valid_from_on", sa.Date(), nullable=True),
        sa.Column("valid_until_on", sa.Date(), nullable=True),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_availability_rules_weekday_range")),
        sa.CheckConstraint("start_minute BETWEEN 0 AND 1439", name=op.f("ck_availability_rules_start_minute_range")),
        sa.CheckConstraint("end_minute BETWEEN 0 AND 1439", name=op.f("ck_availability_rules_end_minute_range")),
        sa.CheckConstraint(
            "valid_from_on IS NULL OR valid_until_on IS NULL OR valid_from_on <= valid_until_on",
            name=op.f("ck_availability_rules_valid_range"),
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer_profiles.user_id"],
            name=op.f("fk_availability_rules_volunteer_id_volunteer_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_rules")),
    )
    op.create_index("ix_availability_rules_volunteer_id", "availability_rules", ["volunteer_id"])

    op.create_table(
        "away_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("first_on", sa.Date(), nullable=False),
        sa.Column("last_on", sa.Date(), nullable=False),
        sa.CheckConstraint("first_on <= last_on", name=op.f("ck_away_periods_first_on_before_last_on")),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer_profiles.user_id"],
            name=op.f("fk_away_periods_volunteer_id_volunteer_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_away_periods")),
    )
    op.create_index("ix_away_periods_volunteer_id", "away_periods", ["volunteer_id"])

    op.create_table(
        "extra_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("day_on", sa.Date(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.CheckConstraint("start_minute BETWEEN 0 AND 1439", name=op.f("ck_extra_windows_start_minute_range")),
        sa.CheckConstraint("end_minute BETWEEN 0 AND 1439", name=op.f("ck_extra_windows_end_minute_range")),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer_profiles.user_id"],
            name=op.f("fk_extra_windows_volunteer_id_volunteer_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extra_windows")),
    )
    op.create_index("ix_extra_windows_volunteer_id", "extra_windows", ["volunteer_id"])

    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("first_start_at", Instant, nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.CheckConstraint("weeks BETWEEN 2 AND 26", name=op.f("ck_series_weeks_range")),
        sa.CheckConstraint("kind IN ('tutoring', 'mentoring', 'support')", name=op.f("ck_series_kind")),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer_profiles.user_id"],
            name=op.f("fk_series_volunteer_id_volunteer_profiles"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["users.id"], name=op.f("fk_series_learner_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
    )
    op.create_index("ix_series_learner_id", "series", ["learner_id"])

    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("start_at", Instant, nullable=False),
        sa.Column("end_at", Instant, nullable=False),
        sa.Column("blocked_until_at", Instant, nullable=False),
        sa.Column("status", sa.String(length=20), server_default="confirmed", nullable=False),
        sa.Column("capacity", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("updated_at", Instant, nullable=False),
        sa.CheckConstraint(
            "status IN ('confirmed', 'cancelled', 'completed', 'no_show')", name=op.f("ck_sessions_status")
        ),
        sa.CheckConstraint("kind IN ('tutoring', 'mentoring', 'support')", name=op.f("ck_sessions_kind")),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_sessions_end_after_start")),
        sa.CheckConstraint("blocked_until_at >= end_at", name=op.f("ck_sessions_blocked_until_after_end")),
        sa.CheckConstraint("capacity BETWEEN 1 AND 100", name=op.f("ck_sessions_capacity_range")),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer_profiles.user_id"],
            name=op.f("fk_sessions_volunteer_id_volunteer_profiles"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_index("ix_sessions_volunteer_id_start_at", "sessions", ["volunteer_id", "start_at"])

    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="confirmed", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("sequence", sa.Integer(), server_default="0", nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("updated_at", Instant, nullable=False),
        sa.CheckConstraint(
            "status IN ('confirmed', 'cancelled', 'completed', 'no_show')", name=op.f("ck_bookings_status")
        ),
        sa.CheckConstraint("sequence >= 0", name=op.f("ck_bookings_sequence_not_negative")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_bookings_session_id_sessions"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["users.id"], name=op.f("fk_bookings_learner_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_bookings_series_id_series"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("uid", name=op.f("uq_bookings_uid")),
    )
    op.create_index("ix_bookings_learner_id", "bookings", ["learner_id"])
    op.create_index("ix_bookings_session_id", "bookings", ["session_id"])
    op.create_index("ix_bookings_series_id", "bookings", ["series_id"])
    # One live place per learner per session; a cancelled one may be booked again.
    op.create_index(
        "uq_bookings_session_id_learner_id_live",
        "bookings",
        ["session_id", "learner_id"],
        unique=True,
        postgresql_where=NOT_CANCELLED,
        sqlite_where=NOT_CANCELLED,
    )

    if op.get_bind().dialect.name == "postgresql":
        # Two live sessions of one volunteer can never overlap, buffer
        # included, however the inserts race (FIELD-NOTES "Booking integrity").
        # tstzrange defaults to '[)': a session may start when another's block ends.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE sessions ADD CONSTRAINT ex_sessions_no_overlap "
            "EXCLUDE USING gist (volunteer_id WITH =, tstzrange(start_at, blocked_until_at) WITH &&) "
            "WHERE (status <> 'cancelled')"
        )


def downgrade():
    # Dropping the tables drops their constraints and indexes; btree_gist
    # stays installed, since other schemas in the database may use it.
    op.drop_table("bookings")
    op.drop_table("sessions")
    op.drop_table("series")
    op.drop_table("extra_windows")
    op.drop_table("away_periods")
    op.drop_table("availability_rules")
    op.drop_table("volunteer_profiles")
    op.drop_table("api_tokens")
    op.drop_table("users")
