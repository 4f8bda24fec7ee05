"""The reads over both stores, hot rows and compressed segments, each one statement.

A point can be in both stores only when it was written again after its hour was compacted; the
stored row is the newer and wins (`segment.merge`). Raw reads fetch the hot rows of the range and
just enough segments to fill the page, and merge them here. Rollups take hot rows of
uncompacted time aggregated by PostgreSQL, the whole-hour summaries of segments aggregated by
PostgreSQL (no decoding) when the bucket is a whole number of hours, and decode here only the
segments a bucket or the range cuts, or that a late point overrides.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text

from assetwatch.db.compaction import CHUNK, CHUNK_US, instant, micros
from assetwatch.db.queries import Compiled
from assetwatch.domain import Reading, Rollup
from assetwatch.domain.readings import BUCKET_ORIGIN
from assetwatch.encoding import segment

_OWNED_SIGNAL = """
    SELECT signals.id FROM signals JOIN assets ON assets.id = signals.asset_id
    WHERE signals.id = CAST(:signal_id AS bigint)
      AND assets.organization_id = CAST(:organization_id AS bigint)
"""
_OWNED_ASSET_SIGNALS = """
    SELECT signals.id FROM signals JOIN assets ON assets.id = signals.asset_id
    WHERE signals.asset_id = CAST(:asset_id AS bigint)
      AND assets.organization_id = CAST(:organization_id AS bigint)
      AND (CAST(:signal_ids AS bigint[]) IS NULL OR signals.id = ANY(CAST(:signal_ids AS bigint[])))
"""


def _readings_sql(descending: bool) -> str:
    order = "DESC" if descending else ""
    # When the hot rows fill the page, only a segment reaching past the last of them can
    # change it (by a point in between, or one the same row overrides).
    edge, reaches = ("min", "last_ts >=") if descending else ("max", "first_ts <=")
    # The same bound on the index: a segment holds one hour from its chunk_start.
    near = (
        "chunk_start > coalesce((SELECT ts FROM edge), '-infinity') - interval '1 hour'"
        if descending
        else "chunk_start <= coalesce((SELECT ts FROM edge), 'infinity')"
    )
    return f"""
WITH owned AS ({_OWNED_SIGNAL}), hot AS (
    SELECT ts, value FROM measurements
    WHERE signal_id = CAST(:signal_id AS bigint) AND ts >= :start AND ts < :end
      AND EXISTS (SELECT FROM owned)
    ORDER BY ts {order} LIMIT :limit
), edge AS (
    SELECT CASE WHEN count(*) = :limit THEN {edge}(ts) END AS ts FROM hot
), candidates AS (
    SELECT chunk_start, count FROM segments
    WHERE signal_id = CAST(:signal_id AS bigint)
      AND chunk_start >= :chunk_low AND chunk_start < :end
      AND last_ts >= :start AND first_ts < :end AND EXISTS (SELECT FROM owned)
      AND ((SELECT ts FROM edge) IS NULL OR {reaches} (SELECT ts FROM edge)) AND {near}
    ORDER BY chunk_start {order} LIMIT :limit + 2
), needed AS (
    SELECT chunk_start FROM (
        SELECT chunk_start, row_number() OVER w AS n,
               sum(count) OVER w - count - first_value(count) OVER w AS between_first
        FROM candidates WINDOW w AS (ORDER BY chunk_start {order})
    ) AS counted
    WHERE n = 1 OR between_first < :limit
)
SELECT ts, value, NULL::bytea FROM hot
UNION ALL
SELECT NULL, NULL, points FROM segments
WHERE signal_id = CAST(:signal_id AS bigint) AND chunk_start IN (SELECT chunk_start FROM needed)
"""


READINGS = {
    False: Compiled(text(_readings_sql(descending=False))),
    True: Compiled(text(_readings_sql(descending=True))),
}


def _rollups_sql(owned: str) -> str:
    return f"""
WITH owned AS ({owned}), state AS (
    SELECT compacted_through AS w FROM storage_state WHERE id = 1
), recent AS (
    SELECT signal_id, date_bin(:bucket, ts, :origin) AS b, count(*) AS n,
           min(value) AS lo, max(value) AS hi, sum(value) AS total
    FROM measurements
    WHERE signal_id IN (SELECT id FROM owned)
      AND ts >= greatest(:start, (SELECT w FROM state)) AND ts < :end
    GROUP BY 1, 2
), late AS MATERIALIZED (
    SELECT signal_id, ts, value FROM measurements
    WHERE signal_id IN (SELECT id FROM owned)
      AND ts >= :start AND ts < least(:end, (SELECT w FROM state))
), segs AS (
    SELECT g.signal_id, g.chunk_start, g.count, g.min, g.max, g.sum,
           (NOT :whole_hours OR g.first_ts < :start OR g.last_ts >= :end OR EXISTS (
               SELECT FROM late WHERE late.signal_id = g.signal_id
                 AND late.ts >= g.chunk_start AND late.ts < g.chunk_start + interval '1 hour'
           )) AS cut
    FROM segments g
    WHERE g.signal_id IN (SELECT id FROM owned)
      AND g.chunk_start >= :chunk_low AND g.chunk_start < :end
      AND g.last_ts >= :start AND g.first_ts < :end
)
SELECT 0 AS kind, signal_id, b, n, lo, hi, total, NULL::bytea AS points FROM recent
UNION ALL
SELECT 1, signal_id, date_bin(:bucket, chunk_start, :origin), sum(count), min(min), max(max),
       sum(sum), NULL
FROM segs WHERE NOT cut GROUP BY 2, 3
UNION ALL
SELECT 2, g.signal_id, g.chunk_start, NULL, NULL, NULL, NULL, g.points
FROM segs JOIN segments g USING (signal_id, chunk_start) WHERE segs.cut
UNION ALL
SELECT 3, signal_id, ts, NULL, value, NULL, NULL, NULL FROM late
UNION ALL
SELECT 4, id, NULL, NULL, NULL, NULL, NULL, NULL FROM owned
"""


ROLLUPS = Compiled(text(_rollups_sql(_OWNED_SIGNAL)))
ASSET_ROLLUPS = Compiled(text(_rollups_sql(_OWNED_ASSET_SIGNALS)))


def chunk_low(start: datetime) -> datetime:
    """The start of the hour chunk holding `start`."""
    return instant(micros(start) // CHUNK_US * CHUNK_US)


def readings_params(
    organization_id: int, signal_id: int, start: datetime, end: datetime, limit: int
) -> dict[str, Any]:
    return {
        "organization_id": organization_id,
        "signal_id": signal_id,
        "start": start,
        "end": end,
        "chunk_low": chunk_low(start),
        "limit": limit,
    }


def rollups_params(start: datetime, end: datetime, bucket: timedelta) -> dict[str, Any]:
    return {
        "start": start,
        "end": end,
        "bucket": bucket,
        "origin": BUCKET_ORIGIN,
        "chunk_low": chunk_low(start),
        "whole_hours": bucket % CHUNK == timedelta(0),
    }


def merge_readings(
    rows: Sequence[tuple[Any, ...]],
    start: datetime,
    end: datetime,
    *,
    descending: bool,
    limit: int,
) -> list[Reading]:
    """The page: hot rows and the segments' points in range, a hot row winning a tie."""
    hot: list[Reading] = [{"ts": ts, "value": value} for ts, value, blob in rows if blob is None]
    blobs = [bytes(blob) for _, _, blob in rows if blob is not None]
    if not blobs:
        return hot
    parts = [segment.decode(blob) for blob in blobs]
    ts = np.concatenate([p[0] for p in parts])
    values = np.concatenate([p[1] for p in parts])
    order = np.argsort(ts, kind="stable")
    ts, values = ts[order], values[order]
    keep = (ts >= micros(start)) & (ts < micros(end))
    ts, values = ts[keep], values[keep]
    hot_ts = np.array([micros(r["ts"]) for r in hot], dtype=np.int64)
    hot_values = np.array([r["value"] for r in hot], dtype=np.float64)
    if descending:
        hot_ts, hot_values = hot_ts[::-1], hot_values[::-1]
    ts, values = segment.merge(ts, values, np.sort(hot_ts), hot_values)
    if descending:
        ts, values = ts[::-1], values[::-1]
    return [
        {"ts": instant(t), "value": v}
        for t, v in zip(ts[:limit].tolist(), values[:limit].tolist(), strict=True)
    ]


class _Partials:
    """Partial aggregates of one signal (bucket start, count, min, max, sum), combined at the end
    with numpy: whatever their source, a bucket's partials add up the same way."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, float, float, float]] = []
        self.arrays: list[tuple[NDArray[np.int64], ...]] = []

    def add_points(
        self, ts: NDArray[np.int64], values: NDArray[np.float64], bucket_us: int
    ) -> None:
        """Points sorted by time, aggregated per bucket."""
        if len(ts) == 0:
            return
        starts = (ts - _ORIGIN_US) // bucket_us * bucket_us + _ORIGIN_US
        firsts = np.flatnonzero(np.concatenate(([True], starts[1:] != starts[:-1])))
        counts = np.diff(np.append(firsts, len(ts)))
        self.arrays.append(
            (
                starts[firsts],
                counts,
                np.minimum.reduceat(values, firsts),
                np.maximum.reduceat(values, firsts),
                np.add.reduceat(values, firsts),
            )
        )

    def rollups(self) -> list[Rollup]:
        parts = list(self.arrays)
        if self.rows:
            columns = list(zip(*self.rows, strict=True))
            parts.append(
                (
                    np.array(columns[0], dtype=np.int64),
                    np.array(columns[1], dtype=np.int64),
                    np.array(columns[2], dtype=np.float64),
                    np.array(columns[3], dtype=np.float64),
                    np.array(columns[4], dtype=np.float64),
                )
            )
        if not parts:
            return []
        buckets, counts, lows, highs, totals = (
            np.concatenate([part[i] for part in parts]) for i in range(5)
        )
        order = np.argsort(buckets, kind="stable")
        buckets, counts, lows, highs, totals = (
            a[order] for a in (buckets, counts, lows, highs, totals)
        )
        firsts = np.flatnonzero(np.concatenate(([True], buckets[1:] != buckets[:-1])))
        if len(firsts) < len(buckets):
            counts = np.add.reduceat(counts, firsts)
            lows = np.minimum.reduceat(lows, firsts)
            highs = np.maximum.reduceat(highs, firsts)
            totals = np.add.reduceat(totals, firsts)
            buckets = buckets[firsts]
        # Bucket starts are whole seconds (buckets are, and so is their origin).
        at = datetime.fromtimestamp
        return [
            Rollup(at(second, UTC), n, lo, hi, total / n)
            for second, n, lo, hi, total in zip(
                (buckets // 1_000_000).tolist(),
                counts.tolist(),
                lows.tolist(),
                highs.tolist(),
                totals.tolist(),
                strict=True,
            )
        ]


_ORIGIN_US = micros(BUCKET_ORIGIN)


def merge_rollups(
    rows: Iterable[tuple[Any, ...]], start: datetime, end: datetime, bucket: timedelta
) -> dict[int, list[Rollup]]:
    """Each owned signal's non-empty buckets, oldest first (an owned signal with none: [])."""
    partials: dict[int, _Partials] = {}
    late: dict[int, list[tuple[int, float]]] = defaultdict(list)
    cut: dict[int, list[bytes]] = defaultdict(list)
    for kind, signal_id, stamp, n, lo, hi, total, points in rows:
        if kind == 4:
            partials.setdefault(signal_id, _Partials())
        elif kind in (0, 1):
            found = partials.get(signal_id)
            if found is None:
                found = partials[signal_id] = _Partials()
            found.rows.append((micros(stamp), n, lo, hi, total))
        elif kind == 2:
            cut[signal_id].append(bytes(points))
        else:
            late[signal_id].append((micros(stamp), lo))
    bucket_us = bucket // timedelta(microseconds=1)
    low, high = micros(start), micros(end)
    for signal_id in cut.keys() | late.keys():
        ts, values = segment.decode_many(cut.get(signal_id, []))
        order = np.argsort(ts, kind="stable")
        ts, values = ts[order], values[order]
        overrides = sorted(late.get(signal_id, []))
        if overrides:
            ts, values = segment.merge(
                ts,
                values,
                np.array([p[0] for p in overrides], dtype=np.int64),
                np.array([p[1] for p in overrides], dtype=np.float64),
            )
        keep = (ts >= low) & (ts < high)
        partials.setdefault(signal_id, _Partials()).add_points(ts[keep], values[keep], bucket_us)
    return {signal_id: found.rollups() for signal_id, found in partials.items()}
