"""Help lines gain a WhatsApp number (issue 18, part 2).

``help_resources.whatsapp``: nullable; an international number the help page
links to through wa.me.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("help_resources") as batch:
        batch.add_column(sa.Column("whatsapp", sa.String(length=60), nullable=True))


def downgrade():
    with op.batch_alter_table("help_resources") as batch:
        batch.drop_column("whatsapp")
