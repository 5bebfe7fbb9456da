"""Indexes and privacy fields for production (issue 8).

* ``sessions.start_at``: the reminder sweep and the note-retention purge
  look sessions up by time across all volunteers (the existing index leads
  with ``volunteer_id``).
* GIN ``jsonb_path_ops`` indexes on ``volunteer_profiles.subjects`` and
  ``.languages`` for the search's ``@>`` containment (bench/README.md). On
  SQLite the same declarations make plain indexes, which cost little and keep
  one schema for both databases; the search there filters with ``LIKE``.
* ``users.deleted_at``: when an account was deleted (anonymised) by its owner.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Instants, as in 0001 (tutoring.models.types.UTCDateTime stores them).
Instant = sa.DateTime(timezone=True)


def upgrade():
    # IF NOT EXISTS: an operator may have built them CONCURRENTLY beforehand (docs/DEPLOYMENT.md).
    op.create_index("ix_sessions_start_at", "sessions", ["start_at"], if_not_exists=True)
    op.create_index(
        "ix_volunteer_profiles_subjects",
        "volunteer_profiles",
        ["subjects"],
        postgresql_using="gin",
        postgresql_ops={"subjects": "jsonb_path_ops"},
        if_not_exists=True,
    )
    op.create_index(
        "ix_volunteer_profiles_languages",
        "volunteer_profiles",
        ["languages"],
        postgresql_using="gin",
        postgresql_ops={"languages": "jsonb_path_ops"},
        if_not_exists=True,
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("deleted_at", Instant, nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("deleted_at")
    op.drop_index("ix_volunteer_profiles_languages", table_name="volunteer_profiles")
    op.drop_index("ix_volunteer_profiles_subjects", table_name="volunteer_profiles")
    op.drop_index("ix_sessions_start_at", table_name="sessions")
