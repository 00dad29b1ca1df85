"""trackers: a tenant's named phrase lists

Revision ID: 0004_trackers
Revises: 0003_voiceprints
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_trackers"
down_revision = "0003_voiceprints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trackers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phrases", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_trackers_tenant_name"),
    )
    with op.batch_alter_table("trackers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trackers_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("trackers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trackers_tenant_id"))
    op.drop_table("trackers")
