"""Minors: learners under 18, their guardians' consent, volunteers cleared for minors (issue 19, SPEC §7 "Minors").

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

``users.is_minor`` (a flag, not a birth date: the least we need), a new
table ``guardian_consents`` (one row per minor: the guardian's address and
their answer), and ``volunteer_clearances`` (one row per cleared volunteer:
the check's date, who recorded it, an optional last day; no documents).
Existing learners are adults (``is_minor`` false) and no volunteer is
cleared, so no minor is offered anyone until a coordinator clears them.
Downgrade drops both tables and the column.
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

Instant = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("is_minor", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "volunteer_clearances",
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("expiry_told_on", sa.Date(), nullable=True),
        sa.Column("created_at", Instant, nullable=False),
        sa.CheckConstraint("expires_on IS NULL OR expires_on >= checked_on",
                           name=op.f("ck_volunteer_clearances_expires_after_checked")),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteer_profiles.user_id"],
                                name=op.f("fk_volunteer_clearances_volunteer_id_volunteer_profiles"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["checked_by_id"], ["users.id"],
                                name=op.f("fk_volunteer_clearances_checked_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("volunteer_id", name=op.f("pk_volunteer_clearances")),
    )
    op.create_table(
        "guardian_consents",
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("guardian_email", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("link_version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("requested_at", Instant, nullable=False),
        sa.Column("sent_at", Instant, nullable=True),
        sa.Column("decided_at", Instant, nullable=True),
        sa.CheckConstraint("status IN ('pending', 'consented', 'declined', 'withdrawn')",
                           name=op.f("ck_guardian_consents_status")),
        sa.CheckConstraint("guardian_email = lower(guardian_email)",
                           name=op.f("ck_guardian_consents_guardian_email_lowercase")),
        sa.ForeignKeyConstraint(["learner_id"], ["users.id"],
                                name=op.f("fk_guardian_consents_learner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("learner_id", name=op.f("pk_guardian_consents")),
    )


def downgrade():
    op.drop_table("guardian_consents")
    op.drop_table("volunteer_clearances")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("is_minor")
