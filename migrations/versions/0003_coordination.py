"""Coordinators: programmes, audit log, safeguarding reports and learner blocks (issue 7).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

See tutoring/models/programme.py, audit.py, safeguarding.py and block.py.
New tables only; no existing table changes.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Instant = sa.DateTime(timezone=True)
JSONList = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("kinds", JSONList, server_default='["tutoring", "mentoring", "support"]', nullable=False),
        sa.Column("support_needs_training", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_programmes_name_not_empty")),
        sa.CheckConstraint("length(slug) > 0", name=op.f("ck_programmes_slug_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
        sa.UniqueConstraint("slug", name=op.f("uq_programmes_slug")),
    )
    op.create_table(
        "programme_members",
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("trained", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("added_at", Instant, nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"],
                                name=op.f("fk_programme_members_programme_id_programmes"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteer_profiles.user_id"],
                                name=op.f("fk_programme_members_volunteer_id_volunteer_profiles"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("programme_id", "volunteer_id", name=op.f("pk_programme_members")),
    )
    op.create_index("ix_programme_members_volunteer_id", "programme_members", ["volunteer_id"])

    op.create_table(
        "safeguarding_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.Column("resolved_at", Instant, nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f("ck_safeguarding_reports_status")),
        sa.CheckConstraint("length(details) > 0", name=op.f("ck_safeguarding_reports_details_not_empty")),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"],
                                name=op.f("fk_safeguarding_reports_reporter_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["volunteer_id"], ["users.id"],
                                name=op.f("fk_safeguarding_reports_volunteer_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"],
                                name=op.f("fk_safeguarding_reports_booking_id_bookings"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"],
                                name=op.f("fk_safeguarding_reports_resolved_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safeguarding_reports")),
    )
    op.create_index("ix_safeguarding_reports_status", "safeguarding_reports", ["status"])

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"],
                                name=op.f("fk_audit_entries_actor_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["subject_user_id"], ["users.id"],
                                name=op.f("fk_audit_entries_subject_user_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["report_id"], ["safeguarding_reports.id"],
                                name=op.f("fk_audit_entries_report_id_safeguarding_reports"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"],
                                name=op.f("fk_audit_entries_programme_id_programmes"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index("ix_audit_entries_created_at", "audit_entries", ["created_at"])
    op.create_index("ix_audit_entries_subject_user_id", "audit_entries", ["subject_user_id"])

    op.create_table(
        "learner_blocks",
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteer_profiles.user_id"],
                                name=op.f("fk_learner_blocks_volunteer_id_volunteer_profiles"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["learner_id"], ["users.id"],
                                name=op.f("fk_learner_blocks_learner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("volunteer_id", "learner_id", name=op.f("pk_learner_blocks")),
    )
    op.create_index("ix_learner_blocks_learner_id", "learner_blocks", ["learner_id"])


def downgrade():
    op.drop_index("ix_learner_blocks_learner_id", table_name="learner_blocks")
    op.drop_table("learner_blocks")
    op.drop_index("ix_audit_entries_subject_user_id", table_name="audit_entries")
    op.drop_index("ix_audit_entries_created_at", table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_index("ix_safeguarding_reports_status", table_name="safeguarding_reports")
    op.drop_table("safeguarding_reports")
    op.drop_index("ix_programme_members_volunteer_id", table_name="programme_members")
    op.drop_table("programme_members")
    op.drop_table("programmes")
