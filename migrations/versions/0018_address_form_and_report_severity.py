"""How people are addressed in Arabic; safeguarding reports' severity (issue 22, items 9 and 12).

``users.address_form``: ``neutral`` (the default: texts are phrased around
gender), ``feminine`` or ``masculine``; Arabic texts about or to the person
agree with it. ``safeguarding_reports.severity``: ``low``, ``medium``
(the default, also for existing reports), ``high`` or ``urgent``. Notices
gain the kind ``coordinators``: a coordinator's message to a learner about
their report.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("address_form", sa.String(length=10), server_default="neutral", nullable=False))
        batch.create_check_constraint(op.f("ck_users_address_form"),
                                      "address_form IN ('neutral', 'feminine', 'masculine')")
    with op.batch_alter_table("safeguarding_reports") as batch:
        batch.add_column(sa.Column("severity", sa.String(length=10), server_default="medium", nullable=False))
        batch.create_check_constraint(op.f("ck_safeguarding_reports_severity"),
                                      "severity IN ('low', 'medium', 'high', 'urgent')")
    # A coordinator's message to a learner about their report is shown as a notice.
    with op.batch_alter_table("notices") as batch:
        batch.drop_constraint(op.f("ck_notices_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_notices_kind"), "kind IN ('clock_change', 'waitlist', 'coordinators')")


def downgrade():
    op.execute("DELETE FROM notices WHERE kind = 'coordinators'")
    with op.batch_alter_table("notices") as batch:
        batch.drop_constraint(op.f("ck_notices_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_notices_kind"), "kind IN ('clock_change', 'waitlist')")
    with op.batch_alter_table("safeguarding_reports") as batch:
        batch.drop_constraint(op.f("ck_safeguarding_reports_severity"), type_="check")
        batch.drop_column("severity")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_address_form"), type_="check")
        batch.drop_column("address_form")
