"""voiceprints: a telephone-band embedding beside the wide-band one, each with its own count

Revision ID: 0005_voiceprint_bands
Revises: 0004_trackers
Create Date: 2026-11-30 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_voiceprint_bands"
down_revision = "0004_trackers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("voiceprints", schema=None) as batch_op:
        # A print learned only from telephone calls has no wide band.
        batch_op.alter_column("embedding", existing_type=sa.JSON(), nullable=True)
        batch_op.add_column(sa.Column("phone_embedding", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("wide_samples", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("phone_samples", sa.Integer(), nullable=False, server_default="0"))
    # Every print so far was one wide-band mean.
    op.execute("UPDATE voiceprints SET wide_samples = samples")


def downgrade() -> None:
    # A telephone-only print has nothing to keep in the one-band table.
    op.execute("DELETE FROM voiceprints WHERE embedding IS NULL")
    with op.batch_alter_table("voiceprints", schema=None) as batch_op:
        batch_op.drop_column("phone_samples")
        batch_op.drop_column("wide_samples")
        batch_op.drop_column("phone_embedding")
        batch_op.alter_column("embedding", existing_type=sa.JSON(), nullable=False)
