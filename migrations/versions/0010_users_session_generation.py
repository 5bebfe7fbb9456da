"""A per-account session generation, so signing out revokes saved session cookies (issue 21).

Sessions are signed cookies; the id they carry is
``<user id>:<password fingerprint>:<generation>``. Signing out adds one to
the account's generation, so a copy of a cookie saved before (on this device
or another) no longer signs anyone in. Cookies made before this revision
carry no generation and count as generation 0.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_generation")
