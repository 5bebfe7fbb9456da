"""An index for listing volunteers by name (the home page's search).

A plain listing and a free-time search show volunteers ordered by
``display_name`` (then ``id``), one page or one window at a time. With this
index the database reads that window in order and stops, instead of sorting
every volunteer on every request.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    # IF NOT EXISTS: an operator may have built it CONCURRENTLY beforehand, as for 0006 (docs/DEPLOYMENT.md).
    op.create_index("ix_users_display_name_id", "users", ["display_name", "id"], if_not_exists=True)


def downgrade():
    op.drop_index("ix_users_display_name_id", table_name="users")
