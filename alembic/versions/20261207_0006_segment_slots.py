"""Five-minute slot summaries beside each segment (`segments.slots`).

- `slots`: each five minutes' count, min, max and sum (assetwatch.encoding.slots), so rollups of
  whole five minutes read a dozen numbers an hour instead of decoding the points. NULL until the
  maintenance worker has computed them: adding the column rewrites nothing, and the worker fills
  the existing segments a batch at a time (reads decode those meanwhile).
- `ix_segments_without_slots`, a partial index on the segments still without them, through
  which the worker finds its batches; empty once it has caught up. Built CONCURRENTLY, outside
  Alembic's transaction, like 0003.
- A trigger keeps slots honest during a rolling upgrade: a rewrite of a segment's points that
  leaves its slots as they were (the previous release's worker knows no slots) sets them to
  NULL, for the worker to compute again.

The downgrade drops them all; the points are untouched either way.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 10:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_segments_without_slots"

STALE_SLOTS = """
        CREATE OR REPLACE FUNCTION segments_forget_stale_slots() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.slots := NULL;
            RETURN NEW;
        END
        $$
"""


def upgrade() -> None:
    op.execute("ALTER TABLE segments ADD COLUMN IF NOT EXISTS slots bytea")
    op.execute(STALE_SLOTS)
    op.execute(
        "CREATE OR REPLACE TRIGGER segments_forget_stale_slots "
        "BEFORE UPDATE OF points ON segments "
        "FOR EACH ROW WHEN (NEW.points IS DISTINCT FROM OLD.points "
        "AND NEW.slots IS NOT DISTINCT FROM OLD.slots) "
        "EXECUTE FUNCTION segments_forget_stale_slots()"
    )
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name="segments", postgresql_concurrently=True, if_exists=True)
        op.create_index(
            INDEX,
            "segments",
            ["signal_id", "chunk_start"],
            postgresql_where=sa.text("slots IS NULL"),
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name="segments", postgresql_concurrently=True, if_exists=True)
    op.execute("DROP TRIGGER IF EXISTS segments_forget_stale_slots ON segments")
    op.execute("DROP FUNCTION IF EXISTS segments_forget_stale_slots()")
    op.execute("ALTER TABLE segments DROP COLUMN IF EXISTS slots")
