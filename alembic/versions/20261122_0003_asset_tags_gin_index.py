"""Asset tags: GIN index, built CONCURRENTLY outside a transaction.

A plain CREATE INDEX holds a SHARE lock on assets for the whole build and blocks every write;
CONCURRENTLY lets writes go on, but PostgreSQL refuses it inside a transaction block, so this
revision steps out of Alembic's per-migration transaction with an autocommit block.

A concurrent build that fails half-way (cancelled, deadlock, unique violation) leaves an
INVALID index behind, and `CREATE INDEX ... IF NOT EXISTS` would then keep that broken one:
the upgrade drops any leftover first, so re-running the migration repairs it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:06:01+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_assets_tags"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name="assets", postgresql_concurrently=True, if_exists=True)
        op.create_index(
            INDEX,
            "assets",
            ["tags"],
            postgresql_using="gin",
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name="assets", postgresql_concurrently=True, if_exists=True)
