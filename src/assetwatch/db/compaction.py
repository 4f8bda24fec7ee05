"""Compaction: hot rows of closed hours rewritten as compressed per-signal segments.

Each step is one transaction that deletes the rows it compacts (`DELETE ... RETURNING`, so it
takes exactly what it removes, and a row written meanwhile stays for the next step), merges them
into the segments of their hours (a stored row wins over a segment's point of the same time, as
in reads), and, for an hour step, forgets the hour's slot summaries (`recent_slots`) and moves
`storage_state.compacted_through` past that hour. Killed at any moment, a step leaves everything
as it was before it; nothing is lost or duplicated.
The batch's signals are locked FOR KEY SHARE, as ingest does, so a signal deleted meanwhile
takes its new segments with it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from psycopg import AsyncConnection

from assetwatch.db import recent_slots
from assetwatch.encoding import segment, slots

CHUNK = timedelta(hours=1)
CHUNK_US = 3_600_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Microseconds since the epoch, exactly (extract gives a numeric).
US = "(extract(epoch FROM {0}) * 1000000)::bigint"

_TAKE = f"""
WITH gone AS (
    DELETE FROM measurements WHERE {{where}} RETURNING signal_id, ts, value
), kept AS (
    SELECT id FROM signals WHERE id IN (SELECT signal_id FROM gone) FOR KEY SHARE
), chunks AS (
    SELECT signal_id, date_bin('1 hour', ts, 'epoch') AS chunk_start,
           array_agg({US.format("ts")} ORDER BY ts) AS ts, array_agg(value ORDER BY ts) AS vals
    FROM gone WHERE signal_id IN (SELECT id FROM kept)
    GROUP BY 1, 2
)
SELECT c.signal_id, {US.format("c.chunk_start")}, c.ts, c.vals, s.points
FROM chunks c
LEFT JOIN segments s ON s.signal_id = c.signal_id AND s.chunk_start = c.chunk_start
"""

HOUR = _TAKE.format(where="ts >= %(start)s AND ts < %(end)s")
# Late points: a batch at a time, through the primary key.
LATE = _TAKE.format(
    where="(signal_id, ts) IN (SELECT signal_id, ts FROM measurements WHERE ts < %(end)s "
    "ORDER BY signal_id, ts LIMIT %(limit)s)"
)

UPSERT = """
INSERT INTO segments (
    signal_id, chunk_start, first_ts, last_ts, count, min, max, sum, points, slots
)
SELECT * FROM unnest(
    CAST(%(signal_id)s AS bigint[]), CAST(%(chunk_start)s AS timestamptz[]),
    CAST(%(first_ts)s AS timestamptz[]), CAST(%(last_ts)s AS timestamptz[]),
    CAST(%(count)s AS bigint[]), CAST(%(min)s AS float8[]), CAST(%(max)s AS float8[]),
    CAST(%(sum)s AS float8[]), CAST(%(points)s AS bytea[]), CAST(%(slots)s AS bytea[])
)
ON CONFLICT (signal_id, chunk_start) DO UPDATE SET
    first_ts = EXCLUDED.first_ts, last_ts = EXCLUDED.last_ts, count = EXCLUDED.count,
    min = EXCLUDED.min, max = EXCLUDED.max, sum = EXCLUDED.sum, points = EXCLUDED.points,
    slots = EXCLUDED.slots
"""

# Segments written before migration 0006 (or by an older worker, whose rewrites the trigger
# of 0006 marks) have no slots yet: a batch at a time, through the partial index on them.
_UNSLOTTED = f"""
SELECT signal_id, {US.format("chunk_start")}, points FROM segments
WHERE slots IS NULL ORDER BY signal_id, chunk_start LIMIT %(limit)s FOR UPDATE SKIP LOCKED
"""
_SET_SLOTS = """
UPDATE segments SET slots = given.slots
FROM unnest(
    CAST(%(signal_id)s AS bigint[]), CAST(%(chunk_start)s AS timestamptz[]),
    CAST(%(slots)s AS bytea[])
) AS given(signal_id, chunk_start, slots)
WHERE segments.signal_id = given.signal_id AND segments.chunk_start = given.chunk_start
"""


@dataclass
class Compacted:
    """What one step did."""

    points: int = 0
    segments: int = 0


def instant(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


_MICROSECOND = timedelta(microseconds=1)


def micros(ts: datetime) -> int:
    return (ts - EPOCH) // _MICROSECOND


async def _merge(conn: AsyncConnection[Any], sql: str, params: dict[str, Any]) -> Compacted:
    """Run a `_TAKE` statement and write the segments its rows belong to."""
    cursor = await conn.execute(sql, params, binary=True)
    columns: dict[str, list[Any]] = {
        name: []
        for name in (
            "signal_id",
            "chunk_start",
            "first_ts",
            "last_ts",
            "count",
            "min",
            "max",
            "sum",
            "points",
            "slots",
        )
    }
    done = Compacted()
    for signal_id, chunk_us, ts_list, value_list, stored in await cursor.fetchall():
        ts = np.array(ts_list, dtype=np.int64)
        values = np.array(value_list, dtype=np.float64)
        done.points += len(ts)
        if stored is not None:
            old_ts, old_values = segment.decode(bytes(stored))
            ts, values = segment.merge(old_ts, old_values, ts, values)
        columns["signal_id"].append(signal_id)
        columns["chunk_start"].append(instant(chunk_us))
        columns["first_ts"].append(instant(int(ts[0])))
        columns["last_ts"].append(instant(int(ts[-1])))
        columns["count"].append(len(ts))
        columns["min"].append(float(values.min()))
        columns["max"].append(float(values.max()))
        columns["sum"].append(float(values.sum()))
        columns["points"].append(segment.encode(ts, values))
        columns["slots"].append(slots.encode(chunk_us, ts, values))
    if columns["signal_id"]:
        await conn.execute(UPSERT, columns)
        done.segments = len(columns["signal_id"])
    return done


async def compacted_through(conn: AsyncConnection[Any], *, lock: bool = False) -> datetime:
    """Where compaction stands; `lock` holds the state row until the transaction ends."""
    sql = "SELECT compacted_through FROM storage_state WHERE id = 1"
    cursor = await conn.execute(sql + (" FOR UPDATE" if lock else ""))
    row = await cursor.fetchone()
    assert row is not None, "storage_state has its one row from migration 0005"
    stamp: datetime = row[0]
    return stamp


async def compact_hour(conn: AsyncConnection[Any], horizon: datetime) -> Compacted | None:
    """Compact the hour at `compacted_through` if it ends by `horizon`; None when none does."""
    async with conn.transaction():
        start = await compacted_through(conn, lock=True)
        end = start + CHUNK
        if end > horizon:
            return None
        done = await _merge(conn, HOUR, {"start": start, "end": end})
        for forget in recent_slots.FORGET_HOUR:
            await conn.execute(forget, {"start": start, "end": end})
        await conn.execute(
            "UPDATE storage_state SET compacted_through = %(end)s WHERE id = 1", {"end": end}
        )
        return done


async def compact_late(conn: AsyncConnection[Any], *, limit: int = 100_000) -> Compacted:
    """Merge up to `limit` stored rows older than `compacted_through` into their segments."""
    async with conn.transaction():
        end = await compacted_through(conn, lock=True)
        return await _merge(conn, LATE, {"end": end, "limit": limit})


async def fill_slots(conn: AsyncConnection[Any], *, limit: int = 2_000) -> int:
    """Give up to `limit` segments without slot summaries theirs; how many it did."""
    async with conn.transaction():
        cursor = await conn.execute(_UNSLOTTED, {"limit": limit}, binary=True)
        rows = await cursor.fetchall()
        if not rows:
            return 0
        given: dict[str, list[Any]] = {"signal_id": [], "chunk_start": [], "slots": []}
        for signal_id, chunk_us, points in rows:
            ts, values = segment.decode(bytes(points))
            given["signal_id"].append(signal_id)
            given["chunk_start"].append(instant(chunk_us))
            given["slots"].append(slots.encode(chunk_us, ts, values))
        await conn.execute(_SET_SLOTS, given)
        return len(rows)
