"""Group windows and seats (issue 10).

A weekly rule or an extra window with ``capacity`` above 1 is a group window:
its slots become group sessions holding up to that many learners' seats (the
seats themselves are ``bookings`` rows of one ``sessions`` row, which already
has its own ``capacity``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TABLES = ("availability_rules", "extra_windows")


def upgrade():
    for table in _TABLES:
        # batch: SQLite can only add a CHECK by rebuilding the table.
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("capacity", sa.Integer(), server_default="1", nullable=False))
            batch.create_check_constraint(op.f(f"ck_{table}_capacity_range"), "capacity BETWEEN 1 AND 50")


def downgrade():
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_capacity_range"), type_="check")
            batch.drop_column("capacity")
