"""Five-minute summaries of the hot rows (`recent_slots`), and the log of slots changed since.

- `recent_slots`: each signal's count, min, max and sum per five minutes of uncompacted time,
  written by the maintenance worker for slots it has sealed. Rollups of whole five minutes read
  them instead of aggregating every hot row (an asset's 25 signals over a one-hour hot window
  were 9,000 to 18,000 rows a request).
- `slot_seal.sealed_through`: slots before it are sealed. Ingest reads it under a share lock and
  logs, in `stale_slots`, every slot of uncompacted time before it that a batch writes into (a
  late point or a re-sent one); the worker moves it forward, which waits for the batches that
  read the old value. Rollups read a logged slot's rows, not its summary, until the worker has
  summed it up again.
- `storage_state.summarised_through`: the summaries cover the sealed slots before it (and
  after `compacted_through`); -infinity, nothing, until the worker's first cycle.
- The trigger that removes a deleted signal's points removes its summaries and log entries too.

The seal starts at `compacted_through`: nothing is sealed or summed up yet. The downgrade drops the
tables and the column and restores the trigger; points are untouched either way.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 16:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _delete_points(*tables: str) -> str:
    """The delete-signal trigger's function, deleting the signals' rows from `tables`."""
    deletes = "\n".join(
        f"            EXECUTE 'DELETE FROM {table} WHERE signal_id = ANY($1)' USING ids;"
        for table in tables
    )
    return f"""
        CREATE OR REPLACE FUNCTION delete_measurements_of_deleted_signals() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            ids bigint[] := ARRAY(SELECT id FROM deleted_signals);
        BEGIN
            -- EXECUTE plans with the ids themselves: a join to the transition table would be
            -- planned for an average signal, and scan every point to delete a small one.
{deletes}
            RETURN NULL;
        END
        $$
"""


# As revision 0005 wrote it, and as this one adds the slot tables to it.
DELETE_POINTS_V5 = _delete_points("measurements", "segments")
DELETE_POINTS_V8 = _delete_points("measurements", "segments", "recent_slots", "stale_slots")


def upgrade() -> None:
    op.create_table(
        "recent_slots",
        sa.Column("signal_id", sa.BigInteger(), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("min", sa.Double(), nullable=False),
        sa.Column("max", sa.Double(), nullable=False),
        sa.Column("sum", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint(
            "signal_id",
            "slot",
            name="pk_recent_slots",
            postgresql_include=["count", "min", "max", "sum"],
        ),
    )
    op.create_table(
        "stale_slots",
        sa.Column("signal_id", sa.BigInteger(), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signal_id", "slot", name="pk_stale_slots"),
    )
    op.create_table(
        "slot_seal",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sealed_through", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_slot_seal_one_row")),
        sa.PrimaryKeyConstraint("id", name="pk_slot_seal"),
    )
    op.execute(
        "INSERT INTO slot_seal (id, sealed_through) SELECT 1, compacted_through FROM storage_state"
    )
    # Nothing summed up yet: -infinity, a constant default (no table scan, no rewrite).
    op.add_column(
        "storage_state",
        sa.Column(
            "summarised_through",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("'-infinity'"),
        ),
    )
    op.execute(DELETE_POINTS_V8)


def downgrade() -> None:
    op.execute(DELETE_POINTS_V5)
    op.drop_column("storage_state", "summarised_through")
    op.drop_table("slot_seal")
    op.drop_table("stale_slots")
    op.drop_table("recent_slots")
