"""Day summaries of segments (`segment_days`), kept by a trigger on `segments`.

- `segment_days`: one row per signal per day (midnight UTC): the count, min, max and sum of
  that day's segments. Rollups whose buckets are whole days read one row a day for the days
  their range holds whole, instead of 24 segment summaries (at 100 M points an asset's daily
  rollup over its whole history read 69,000 of those).
- Three statement-level triggers on `segments` (insert, update, delete) recount the days whose
  segments a statement changed, in the same transaction, from the segments themselves: every
  writer (compaction, the late-point merge, retention, a deleted signal's cascade, this
  migration's own backfill) keeps the days exact without knowing of them. An update that
  changes no summary (the worker filling slots) recounts nothing.

The downgrade drops the triggers, the function and the table; segments are untouched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 15:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The day of a segment is its midnight UTC: date_bin on the bucket origin, itself a midnight
# (assetwatch.domain.readings.BUCKET_ORIGIN).
RECOUNT = """
        CREATE OR REPLACE FUNCTION segment_days_recount() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            ids bigint[];
            days timestamptz[];
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                SELECT array_agg(signal_id), array_agg(day) INTO ids, days FROM (
                    SELECT DISTINCT signal_id,
                        date_bin(interval '1 day', chunk_start, TIMESTAMPTZ '2000-01-03Z') AS day
                    FROM (
                        (SELECT signal_id, chunk_start, count, min, max, sum FROM changed
                         EXCEPT ALL
                         SELECT signal_id, chunk_start, count, min, max, sum FROM previous)
                        UNION ALL
                        (SELECT signal_id, chunk_start, count, min, max, sum FROM previous
                         EXCEPT ALL
                         SELECT signal_id, chunk_start, count, min, max, sum FROM changed)
                    ) AS moved
                ) AS keys;
            ELSE
                SELECT array_agg(signal_id), array_agg(day) INTO ids, days FROM (
                    SELECT DISTINCT signal_id,
                        date_bin(interval '1 day', chunk_start, TIMESTAMPTZ '2000-01-03Z') AS day
                    FROM changed
                ) AS keys;
            END IF;
            IF ids IS NULL THEN
                RETURN NULL;
            END IF;
            INSERT INTO segment_days AS d (signal_id, day, count, min, max, sum)
            SELECT s.signal_id, k.day, sum(s.count), min(s.min), max(s.max), sum(s.sum)
            FROM unnest(ids, days) AS k(signal_id, day)
            JOIN segments s ON s.signal_id = k.signal_id
                AND s.chunk_start >= k.day AND s.chunk_start < k.day + interval '1 day'
            GROUP BY s.signal_id, k.day
            ON CONFLICT (signal_id, day) DO UPDATE SET count = excluded.count,
                min = excluded.min, max = excluded.max, sum = excluded.sum;
            DELETE FROM segment_days d USING unnest(ids, days) AS k(signal_id, day)
            WHERE d.signal_id = k.signal_id AND d.day = k.day AND NOT EXISTS (
                SELECT FROM segments s WHERE s.signal_id = k.signal_id
                    AND s.chunk_start >= k.day AND s.chunk_start < k.day + interval '1 day'
            );
            RETURN NULL;
        END
        $$
"""

TRIGGERS = {
    "segment_days_after_insert": "AFTER INSERT ON segments REFERENCING NEW TABLE AS changed",
    "segment_days_after_update": (
        "AFTER UPDATE ON segments REFERENCING NEW TABLE AS changed OLD TABLE AS previous"
    ),
    "segment_days_after_delete": "AFTER DELETE ON segments REFERENCING OLD TABLE AS changed",
}


def upgrade() -> None:
    op.create_table(
        "segment_days",
        sa.Column("signal_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("min", sa.Double(), nullable=False),
        sa.Column("max", sa.Double(), nullable=False),
        sa.Column("sum", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint(
            "signal_id",
            "day",
            name="pk_segment_days",
            postgresql_include=["count", "min", "max", "sum"],
        ),
    )
    op.execute(RECOUNT)
    for name, when in TRIGGERS.items():
        op.execute(
            f"CREATE OR REPLACE TRIGGER {name} {when} "
            "FOR EACH STATEMENT EXECUTE FUNCTION segment_days_recount()"
        )
    op.execute(
        """
        INSERT INTO segment_days (signal_id, day, count, min, max, sum)
        SELECT signal_id, date_bin(interval '1 day', chunk_start, TIMESTAMPTZ '2000-01-03Z'),
               sum(count), min(min), max(max), sum(sum)
        FROM segments GROUP BY 1, 2
        """
    )


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON segments")
    op.execute("DROP FUNCTION IF EXISTS segment_days_recount()")
    op.drop_table("segment_days")
