"""Merging what the telemetry reads return: hot rows and decoded segments into a page of points,
or partial aggregates from every source into buckets (numpy; no Python loop per point).

A point in both stores was written again after its hour was compacted: the stored row wins.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from assetwatch.db.compaction import instant, micros
from assetwatch.domain import Reading, Rollup
from assetwatch.domain.readings import BUCKET_ORIGIN
from assetwatch.encoding import segment


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
