"""Measurements partitioned by hour, compressed segments for closed time, per-organisation retention.

- `measurements` becomes a table partitioned by range of `ts`. The existing table is attached,
  as it is, as its DEFAULT partition: no row is copied, whatever the table's size. The
  maintenance worker (`assetwatch worker`) then creates hourly partitions ahead of time and
  compacts every closed hour, the existing rows included, into `segments`.
- `segments`: one row per signal per hour, the points compressed (assetwatch.encoding.segment)
  beside their count, min, max and sum.
- `storage_state.compacted_through`: where compaction stands. It starts at the hour of the
  oldest stored point (one scan of the existing rows), or at the current hour when there is none.
- `organizations.retention_days`: NULL keeps the deployment's default.
- The trigger that removes a deleted signal's points now removes its segments too.

The downgrade puts every point back into one plain table: the hot rows, then the segments'
points decoded (a stored row wins over a segment's point of the same timestamp, as in reads).
Decoding needs Python, so an offline (`--sql`) downgrade renders only the SQL around it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 07:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELETE_POINTS_V4 = """
        CREATE OR REPLACE FUNCTION delete_measurements_of_deleted_signals() RETURNS trigger
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

DELETE_POINTS_V5 = """
        CREATE OR REPLACE FUNCTION delete_measurements_of_deleted_signals() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            ids bigint[] := ARRAY(SELECT id FROM deleted_signals);
        BEGIN
            -- EXECUTE plans with the ids themselves: a join to the transition table would be
            -- planned for an average signal, and scan every point to delete a small one.
            EXECUTE 'DELETE FROM measurements WHERE signal_id = ANY($1)' USING ids;
            EXECUTE 'DELETE FROM segments WHERE signal_id = ANY($1)' USING ids;
            RETURN NULL;
        END
        $$
"""


def upgrade() -> None:
    op.execute("ALTER TABLE measurements RENAME TO measurements_default")
    op.execute("ALTER INDEX pk_measurements RENAME TO measurements_default_pkey")
    op.execute(
        """
        CREATE TABLE measurements (
            signal_id bigint NOT NULL,
            ts timestamp with time zone NOT NULL,
            value double precision NOT NULL,
            CONSTRAINT pk_measurements PRIMARY KEY (signal_id, ts)
        ) PARTITION BY RANGE (ts)
        """
    )
    op.execute("ALTER TABLE measurements ATTACH PARTITION measurements_default DEFAULT")
    # On a partitioned table an index is built on each partition in turn (no CONCURRENTLY):
    # here one, the former table, which this revision has locked anyway.
    op.execute("CREATE INDEX ix_measurements_ts ON measurements USING brin (ts)")
    op.create_table(
        "segments",
        sa.Column("signal_id", sa.BigInteger(), nullable=False),
        sa.Column("chunk_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("min", sa.Double(), nullable=False),
        sa.Column("max", sa.Double(), nullable=False),
        sa.Column("sum", sa.Double(), nullable=False),
        sa.Column("points", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint(
            "signal_id",
            "chunk_start",
            name="pk_segments",
            postgresql_include=["first_ts", "last_ts", "count", "min", "max", "sum"],
        ),
    )
    op.create_table(
        "storage_state",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("compacted_through", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_storage_state_one_row")),
        sa.PrimaryKeyConstraint("id", name="pk_storage_state"),
    )
    op.execute(
        """
        INSERT INTO storage_state (id, compacted_through)
        SELECT 1, date_trunc('hour', coalesce(min(ts), now()), 'UTC') FROM measurements
        """
    )
    # A new column, NULL in every row: its check holds at once.
    op.execute(
        "ALTER TABLE organizations ADD COLUMN retention_days bigint "
        "CONSTRAINT ck_organizations_positive CHECK (retention_days >= 1)"
    )
    op.execute(DELETE_POINTS_V5)


def _restore_segment_points() -> None:
    """Decode every segment into `measurements_flat`, where a stored row already wins."""
    from assetwatch.encoding.segment import decode  # online downgrades only

    bind = op.get_bind()
    insert = sa.text(
        "INSERT INTO measurements_flat (signal_id, ts, value) "
        "SELECT :signal_id, 'epoch'::timestamptz + (t / 1000000) * interval '1 second' "
        "+ (t % 1000000) * interval '1 microsecond', v "
        "FROM unnest(CAST(:ts AS bigint[]), CAST(:values AS float8[])) AS p(t, v) "
        "ON CONFLICT (signal_id, ts) DO NOTHING"
    )
    rows = bind.execute(sa.text("SELECT signal_id, points FROM segments ORDER BY 1, chunk_start"))
    for signal_id, points in rows:
        ts, values = decode(bytes(points))
        bind.execute(insert, {"signal_id": signal_id, "ts": ts.tolist(), "values": values.tolist()})


def downgrade() -> None:
    op.execute(DELETE_POINTS_V4)
    op.execute(
        """
        CREATE TABLE measurements_flat (
            -- Named as PostgreSQL 18 names them for a table called measurements.
            signal_id bigint CONSTRAINT measurements_signal_id_not_null NOT NULL,
            ts timestamp with time zone CONSTRAINT measurements_ts_not_null NOT NULL,
            value double precision CONSTRAINT measurements_value_not_null NOT NULL,
            CONSTRAINT measurements_flat_pkey PRIMARY KEY (signal_id, ts)
        )
        """
    )
    op.execute("INSERT INTO measurements_flat SELECT signal_id, ts, value FROM measurements")
    if not context.is_offline_mode():
        _restore_segment_points()
    op.execute("DROP TABLE measurements")
    op.execute("ALTER TABLE measurements_flat RENAME TO measurements")
    op.execute("ALTER INDEX measurements_flat_pkey RENAME TO pk_measurements")
    op.drop_table("storage_state")
    op.drop_table("segments")
    op.drop_column("organizations", "retention_days")
