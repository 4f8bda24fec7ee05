"""Summaries of the hot rows per five minutes: sealing slots, summing them up, and again after
a batch changed one.

The worker seals the slots that ended a while ago (`SEAL_AFTER`), then sums up the newly sealed
ones, then those that ingest logged as changed since (`stale_slots`). Ingest reads the seal under
a share lock, so moving it waits for every batch that saw the old one: a batch either committed
before the summing up started (and is in the sums) or saw the new seal (and logged its slots).
Each step is one transaction; killed at any moment, the next cycle carries on.
"""

from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from assetwatch.domain.readings import BUCKET_ORIGIN
from assetwatch.encoding.slots import SLOT_US

SLOT = timedelta(microseconds=SLOT_US)
# Devices send their newest points within seconds or minutes: sealing a slot this long after
# its end keeps late points into sealed slots rare.
SEAL_AFTER = timedelta(minutes=5)

# A slot is its five minutes on the bucket origin, as rollups cut time (a midnight).
SLOT_OF = f"date_bin(interval '5 minutes', {{0}}, TIMESTAMPTZ '{BUCKET_ORIGIN.isoformat()}')"

_SEAL = """
UPDATE slot_seal SET sealed_through = %(through)s
WHERE id = 1 AND sealed_through < %(through)s
"""

_SUM_UP = f"""
WITH span AS (
    SELECT greatest(s.summarised_through, s.compacted_through) AS low, seal.sealed_through AS high
    FROM storage_state s, slot_seal seal WHERE s.id = 1 AND seal.id = 1
), summed AS (
    INSERT INTO recent_slots (signal_id, slot, count, min, max, sum)
    SELECT signal_id, {SLOT_OF.format("ts")}, count(*), min(value), max(value), sum(value)
    FROM measurements
    WHERE ts >= (SELECT low FROM span) AND ts < (SELECT high FROM span)
    GROUP BY 1, 2
    ON CONFLICT (signal_id, slot) DO UPDATE SET count = EXCLUDED.count, min = EXCLUDED.min,
        max = EXCLUDED.max, sum = EXCLUDED.sum
    RETURNING 1
)
UPDATE storage_state SET summarised_through = (SELECT high FROM span)
WHERE id = 1 AND summarised_through < (SELECT high FROM span)
RETURNING (SELECT count(*) FROM summed)
"""

# Taken first, in a statement of its own: it waits for a batch still logging one of these
# slots, and the summing up after it sees that batch's points.
_TAKE_STALE = "DELETE FROM stale_slots RETURNING signal_id, slot"

_SUM_UP_AGAIN = """
WITH taken AS (
    SELECT * FROM unnest(CAST(%(signal_id)s AS bigint[]), CAST(%(slot)s AS timestamptz[]))
        AS t(signal_id, slot)
    WHERE t.slot >= (SELECT compacted_through FROM storage_state WHERE id = 1)
      AND t.slot < (SELECT summarised_through FROM storage_state WHERE id = 1)
)
INSERT INTO recent_slots (signal_id, slot, count, min, max, sum)
SELECT t.signal_id, t.slot, count(*), min(m.value), max(m.value), sum(m.value)
FROM taken t JOIN measurements m ON m.signal_id = t.signal_id
    AND m.ts >= t.slot AND m.ts < t.slot + interval '5 minutes'
GROUP BY 1, 2
ON CONFLICT (signal_id, slot) DO UPDATE SET count = EXCLUDED.count, min = EXCLUDED.min,
    max = EXCLUDED.max, sum = EXCLUDED.sum
"""

# What compaction leaves behind: the summaries and log entries of the hour it compacted.
FORGET_HOUR = [
    "DELETE FROM recent_slots WHERE slot >= %(start)s AND slot < %(end)s",
    "DELETE FROM stale_slots WHERE slot < %(end)s",
]


def seal_time(now: datetime) -> datetime:
    """The end of the last slot that ended `SEAL_AFTER` before `now`."""
    return BUCKET_ORIGIN + (now - SEAL_AFTER - BUCKET_ORIGIN) // SLOT * SLOT


async def seal(conn: AsyncConnection[Any], through: datetime) -> bool:
    """Seal the slots before `through` (never backwards); whether the seal moved."""
    cursor = await conn.execute(_SEAL, {"through": through})
    return cursor.rowcount > 0


async def sum_up(conn: AsyncConnection[Any]) -> int:
    """Summarise the sealed slots of uncompacted time not summarised yet; how many slots."""
    cursor = await conn.execute(_SUM_UP)  # one statement: atomic by itself
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def sum_up_stale(conn: AsyncConnection[Any]) -> int:
    """Summarise again the slots ingest logged as changed; how many log entries it took."""
    async with conn.transaction():
        cursor = await conn.execute(_TAKE_STALE)
        taken = await cursor.fetchall()
        if taken:
            ids, slots = [row[0] for row in taken], [row[1] for row in taken]
            await conn.execute(_SUM_UP_AGAIN, {"signal_id": ids, "slot": slots})
    return len(taken)
