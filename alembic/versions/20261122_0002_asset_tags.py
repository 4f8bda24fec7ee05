"""Asset tags: a text[] column on assets (the GIN index comes in 0003).

A NOT NULL column with a constant default is a catalogue-only change since PostgreSQL 11: no
table rewrite, an ACCESS EXCLUSIVE lock held for milliseconds. Its index is a separate revision
because CREATE INDEX CONCURRENTLY cannot run inside this revision's transaction.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:06:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "assets",
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    # Only the column this revision added goes; every other column and row of assets stays.
    op.drop_column("assets", "tags")
