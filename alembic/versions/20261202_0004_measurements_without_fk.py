"""Measurements: the signal foreign key gives way to a per-signal lock and a delete trigger.

The FK checked every inserted point on its own (one `SELECT ... FOR KEY SHARE` on signals per
row): 9.4 of the 13.8 ms PostgreSQL spent on a 1,000-point batch (EXPLAIN ANALYZE). What it
guaranteed is kept, once per signal instead of once per point:
- no point without its signal: the ingest statement locks the batch's signals FOR KEY SHARE
  while it checks they are the caller's (db/queries.py), so a signal cannot be deleted between
  that check and the commit, and a signal being deleted makes the batch wait, then fail;
- a signal's points go with it: an AFTER DELETE trigger on signals, per statement, deletes the
  points of every deleted signal (also when the deletion cascades from an asset or an
  organisation), planned for those signal ids, so through the primary key (which leads with
  signal_id) unless they hold a large share of the table.

The upgrade takes a brief ACCESS EXCLUSIVE lock on both tables and reads no rows. The downgrade
puts the FK back NOT VALID and commits, then validates it: a scan that lets reads and writes go
on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_measurements_signal_id_signals"


def upgrade() -> None:
    op.drop_constraint(FK, "measurements", type_="foreignkey")
    op.execute(
        """
        CREATE FUNCTION delete_measurements_of_deleted_signals() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            -- EXECUTE plans with the ids themselves: a join to the transition table would be
            -- planned for an average signal, and scan every point to delete a small one.
            EXECUTE 'DELETE FROM measurements WHERE signal_id = ANY($1)'
            USING ARRAY(SELECT id FROM deleted_signals);
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER signals_delete_measurements
        AFTER DELETE ON signals
        REFERENCING OLD TABLE AS deleted_signals
        FOR EACH STATEMENT EXECUTE FUNCTION delete_measurements_of_deleted_signals()
        """
    )


def downgrade() -> None:
    # Safe to run again after a failed validation (which commits what precedes it).
    op.execute("DROP TRIGGER IF EXISTS signals_delete_measurements ON signals")
    op.execute("DROP FUNCTION IF EXISTS delete_measurements_of_deleted_signals()")
    op.execute(f"ALTER TABLE measurements DROP CONSTRAINT IF EXISTS {FK}")
    op.create_foreign_key(
        FK,
        "measurements",
        "signals",
        ["signal_id"],
        ["id"],
        ondelete="CASCADE",
        postgresql_not_valid=True,
    )
    # Validated after that commits: the scan then holds only a SHARE UPDATE EXCLUSIVE lock.
    with op.get_context().autocommit_block():
        op.execute(f"ALTER TABLE measurements VALIDATE CONSTRAINT {FK}")
