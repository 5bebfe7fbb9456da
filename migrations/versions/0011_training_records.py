"""Training records per volunteer and kind (issue 18, SPEC §7 "Training").

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

A new table, ``training_records``: a coordinator marked a volunteer trained
for one kind (date, by whom, optional last valid day, a note). Existing
programme training carries over: every volunteer marked trained in a
programme whose ``support`` needs training gets a `support` record (dated
the day they joined that programme, by nobody, with a note naming the
programme), so nobody who could hold support sessions before loses them.
Downgrade drops the table (programme flags are untouched either way).
"""
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

Instant = sa.DateTime(timezone=True)


def upgrade():
    records = op.create_table(
        "training_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("trained_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("trained_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.CheckConstraint("kind IN ('tutoring', 'mentoring', 'support')", name=op.f("ck_training_records_kind_known")),
        sa.CheckConstraint("expires_on IS NULL OR expires_on >= trained_on",
                           name=op.f("ck_training_records_expires_after_trained")),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteer_profiles.user_id"],
                                name=op.f("fk_training_records_volunteer_id_volunteer_profiles"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["trained_by_id"], ["users.id"],
                                name=op.f("fk_training_records_trained_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_records")),
        sa.UniqueConstraint("volunteer_id", "kind", name=op.f("uq_training_records_volunteer_kind")),
    )
    op.create_index("ix_training_records_kind", "training_records", ["kind", "volunteer_id"])

    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT m.volunteer_id, p.name, m.added_at FROM programme_members m"
        " JOIN programmes p ON p.id = m.programme_id"
        " WHERE p.support_needs_training AND m.trained"
        " ORDER BY m.volunteer_id, m.added_at, p.id"
    )).all()
    carried = {}
    for volunteer_id, programme_name, added_at in rows:
        if volunteer_id in carried:
            continue
        # An aware datetime on PostgreSQL; UTC text on SQLite.
        if isinstance(added_at, datetime):
            day = (added_at.astimezone(UTC) if added_at.tzinfo else added_at).date()
        else:
            day = date.fromisoformat(str(added_at)[:10])
        carried[volunteer_id] = {
            "volunteer_id": volunteer_id, "kind": "support", "trained_on": day, "expires_on": None,
            "trained_by_id": None, "note": f"Carried over from the programme \u201c{programme_name}\u201d.",
        }
    if carried:
        now = datetime.now(UTC)
        for row in carried.values():
            row["created_at"] = now
        op.bulk_insert(records, list(carried.values()))


def downgrade():
    op.drop_index("ix_training_records_kind", table_name="training_records")
    op.drop_table("training_records")
