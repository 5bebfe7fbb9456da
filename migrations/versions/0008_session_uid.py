"""A group session's own calendar SEQUENCE for its volunteer (issue 10).

The volunteer sees a group session as one calendar event, not one per seat.
Its UID is derived from the session's id and the service's host
(``session-<id>@<host>``, no column), and its SEQUENCE lives here: 0 when the
first seat is booked, +1 when the volunteer's calendar must change (the
session cancelled). One-to-one sessions keep using their booking's UID and
SEQUENCE and never read this column. See docs/GROUPS.md.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # batch: SQLite can't add a CHECK without rebuilding the table.
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
        batch.create_check_constraint(op.f("ck_sessions_sequence_not_negative"), "sequence >= 0")


def downgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.drop_constraint(op.f("ck_sessions_sequence_not_negative"), type_="check")
        batch.drop_column("sequence")
