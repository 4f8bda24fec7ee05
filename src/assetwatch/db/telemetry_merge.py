"""Merging what a rollup statement returns: partial aggregates from every source (hot rows,
summaries, decoded segments, late rows) into each signal's buckets (numpy; no Python loop per
point). The raw page's merge is `page_merge`.

A point in both stores was written again after its hour was compacted: the stored row wins.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from assetwatch.db.compaction import micros
from assetwatch.domain.readings import BUCKET_ORIGIN
from assetwatch.domain.rollup_columns import RollupColumns
from assetwatch.encoding import segment_batch, slots
from assetwatch.kernels import buckets

# Blobs are decoded in groups of about this many points (8 MB of points and timestamps): a long
# range's millions of points never need their arrays all at once.
_DECODE_GROUP_POINTS = 1 << 19
_ORIGIN_US = micros(BUCKET_ORIGIN)


def merge_rollups(
    rows: Iterable[tuple[Any, ...]], start: datetime, end: datetime, bucket: timedelta
) -> dict[int, RollupColumns]:
    """Each owned signal's non-empty buckets, oldest first (an owned signal with none: empty
    columns).

    Rows carry instants as µs since the epoch. Every signal is merged at once: rows carry a
    dense signal index, so the per-signal work is one slice at the end, not a Python pass per
    signal."""
    owned: list[int] = []
    summaries: list[tuple[int, int, int, float, float, float]] = []
    cut: list[tuple[int, int, int, bytes]] = []
    sliced: list[tuple[int, int, bytes]] = []
    late: list[tuple[int, int, float]] = []
    for kind, signal_id, stamp, n, lo, hi, total, points in rows:
        if kind == 4:
            owned.append(signal_id)
        elif kind in (0, 1):
            summaries.append((signal_id, stamp, n, lo, hi, total))
        elif kind == 2:
            cut.append((signal_id, stamp, n, bytes(points)))
        elif kind == 5:
            sliced.append((signal_id, stamp, bytes(points)))
        else:
            late.append((signal_id, stamp, lo))
    owned.sort()
    index = {signal_id: i for i, signal_id in enumerate(owned)}
    bucket_us = bucket // timedelta(microseconds=1)
    parts = _point_partials(cut, late, index, micros(start), micros(end), bucket_us)
    if sliced:
        parts.append(_slot_partials(sliced, index, bucket_us))
    if summaries:
        columns = list(zip(*summaries, strict=True))
        parts.append(
            _Columns(
                np.array([index[s] for s in columns[0]], dtype=np.int64),
                np.array(columns[1], dtype=np.int64),
                np.array(columns[2], dtype=np.int64),
                np.array(columns[3], dtype=np.float64),
                np.array(columns[4], dtype=np.float64),
                np.array(columns[5], dtype=np.float64),
            )
        )
    merged = _combined(parts)
    # Bucket starts are whole seconds (buckets are, and so is their origin).
    starts = merged.buckets // 1_000_000
    avgs = merged.totals / merged.counts
    bounds = np.searchsorted(merged.signals, np.arange(len(owned) + 1)).tolist()
    return {
        signal_id: RollupColumns(
            starts[low:high],
            merged.counts[low:high],
            merged.lows[low:high],
            merged.highs[low:high],
            avgs[low:high],
        )
        for signal_id, low, high in zip(owned, bounds[:-1], bounds[1:], strict=True)
    }


class _Columns(NamedTuple):
    """Partial aggregates (signal index, bucket start µs, count, min, max, sum), one a row."""

    signals: NDArray[np.int64]
    buckets: NDArray[np.int64]
    counts: NDArray[np.int64]
    lows: NDArray[np.float64]
    highs: NDArray[np.float64]
    totals: NDArray[np.float64]


def _slot_partials(
    sliced: list[tuple[int, int, bytes]], index: dict[int, int], bucket_us: int
) -> _Columns:
    """The five-minute summaries of segments wholly in range, each into its bucket (a whole
    number of five minutes, so no slot straddles two)."""
    found = slots.Slots(
        [blob for _, _, blob in sliced],
        np.array([chunk_us for _, chunk_us, _ in sliced], dtype=np.int64),
    )
    owners = np.array([index[signal_id] for signal_id, _, _ in sliced], dtype=np.int64)
    return _Columns(
        owners[found.owner],
        (found.start_us - _ORIGIN_US) // bucket_us * bucket_us + _ORIGIN_US,
        found.count,
        found.low,
        found.high,
        found.total,
    )


def _combined(parts: list[_Columns]) -> _Columns:
    """One row per (signal, bucket), sorted: partials of a bucket add up whatever their
    source, in the order given (so sums are those of the same additions every time)."""
    if not parts:
        none, nothing = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return _Columns(none, none, none, nothing, nothing, nothing)
    signal, bucket, count, low, high, total = (
        np.concatenate([part[i] for part in parts]) for i in range(6)
    )
    order = np.lexsort((bucket, signal))  # stable: equal keys keep their order
    signal, bucket, count, low, high, total = (
        a[order] for a in (signal, bucket, count, low, high, total)
    )
    if signal.size == 0:
        return _Columns(signal, bucket, count, low, high, total)
    firsts = np.flatnonzero(_run_starts(signal, bucket))
    if firsts.size == signal.size:
        return _Columns(signal, bucket, count, low, high, total)
    return _Columns(
        signal[firsts],
        bucket[firsts],
        np.add.reduceat(count, firsts),
        np.minimum.reduceat(low, firsts),
        np.maximum.reduceat(high, firsts),
        np.add.reduceat(total, firsts),
    )


def _run_starts(*keys: NDArray[np.int64]) -> NDArray[np.bool_]:
    """True where a row's keys differ from the row before (and on the first row)."""
    starts = np.zeros(keys[0].size, dtype=bool)
    starts[:1] = True
    for key in keys:
        starts[1:] |= key[1:] != key[:-1]
    return starts


def _point_partials(
    cut: list[tuple[int, int, int, bytes]],
    late: list[tuple[int, int, float]],
    index: dict[int, int],
    low: int,
    high: int,
    bucket_us: int,
) -> list[_Columns]:
    """The points of the cut segments, overridden by late rows, in range, per bucket.

    Segments of a signal hold disjoint hours, so in (signal, chunk) order their points come out
    sorted and unique: a group at a time, no sort. Late rows (rare) take one sort of them all."""
    cut.sort(key=lambda item: (index[item[0]], item[1]))
    if not late:
        groups = _groups(cut)
        return [_aggregated(*_decoded(group, index), low, high, bucket_us) for group in groups]
    signal, ts, values = _decoded(cut, index)
    columns = list(zip(*late, strict=True))
    signal = np.concatenate((signal, np.array([index[s] for s in columns[0]], dtype=np.int64)))
    ts = np.concatenate((ts, np.array(columns[1], dtype=np.int64)))
    values = np.concatenate((values, np.array(columns[2], dtype=np.float64)))
    order = np.lexsort((ts, signal))  # stable: a late row sorts after the point it overrides
    signal, ts, values = signal[order], ts[order], values[order]
    last = np.ones(ts.size, dtype=bool)
    last[:-1] = _run_starts(signal, ts)[1:]
    return [_aggregated(signal[last], ts[last], values[last], low, high, bucket_us)]


def _aggregated(
    signal: NDArray[np.int64],
    ts: NDArray[np.int64],
    values: NDArray[np.float64],
    low: int,
    high: int,
    bucket_us: int,
) -> _Columns:
    """Points sorted by (signal, ts), those in [low, high) summed up per bucket."""
    return _Columns(
        *buckets.bucket_partials(signal, ts, values, (low, high, bucket_us, _ORIGIN_US))
    )


def _decoded(
    cut: list[tuple[int, int, int, bytes]], index: dict[int, int]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """The cut segments' points, in the order given, with their signal index."""
    if not cut:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float64)
    ts, values, counts = segment_batch.decode_counted([blob for *_, blob in cut])
    owners = np.array([index[item[0]] for item in cut], dtype=np.int64)
    return np.repeat(owners, counts), ts, values


def _groups(
    cut: list[tuple[int, int, int, bytes]],
) -> Iterator[list[tuple[int, int, int, bytes]]]:
    """Runs of blobs of about `_DECODE_GROUP_POINTS` points (by the count stored beside each)."""
    group: list[tuple[int, int, int, bytes]] = []
    size = 0
    for item in cut:
        group.append(item)
        size += item[2]
        if size >= _DECODE_GROUP_POINTS:
            yield group
            group, size = [], 0
    if group:
        yield group
