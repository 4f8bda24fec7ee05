"""Merging what the telemetry reads return: hot rows and decoded segments into a page of points,
or partial aggregates from every source into buckets (numpy; no Python loop per point).

A point in both stores was written again after its hour was compacted: the stored row wins.
"""

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from assetwatch.db.compaction import instant, micros
from assetwatch.domain import Reading, Rollup
from assetwatch.domain.readings import BUCKET_ORIGIN
from assetwatch.encoding import segment, segment_batch, slots


def merge_readings(
    rows: Sequence[tuple[Any, ...]],
    start: datetime,
    end: datetime,
    *,
    descending: bool,
    limit: int,
) -> list[Reading]:
    """The page: hot rows and the segments' points in range, a hot row winning a tie.

    The hot rows' readings go out as they came (their datetimes parsed by the driver); only the
    segments' points are made into readings, and only those on the page."""
    hot: list[Reading] = [{"ts": ts, "value": value} for ts, value, blob in rows if blob is None]
    blobs = [bytes(blob) for _, _, blob in rows if blob is not None]
    if not blobs:
        return hot
    ts, values = segment.decode(blobs[0]) if len(blobs) == 1 else segment_batch.decode_many(blobs)
    keep = (ts >= micros(start)) & (ts < micros(end))
    ts, values = ts[keep], values[keep]
    if ts.size > 1 and not bool(np.all(ts[1:] > ts[:-1])):  # blobs come in no set order
        order = np.argsort(ts)
        ts, values = ts[order], values[order]
    if not hot or ts.size == 0:
        return _joined(ts, values, hot, descending=descending, limit=limit)
    oldest, newest = (hot[-1], hot[0]) if descending else (hot[0], hot[-1])  # page order
    if micros(oldest["ts"]) > ts[-1]:
        return _joined(ts, values, hot, descending=descending, limit=limit)
    if micros(newest["ts"]) < ts[0]:
        return _joined(ts, values, hot, descending=descending, limit=limit, hot_first=True)
    oldest_first = hot[::-1] if descending else hot
    return _interleaved(oldest_first, ts, values, descending=descending, limit=limit)


def _joined(
    ts: NDArray[np.int64],
    values: NDArray[np.float64],
    hot: list[Reading],
    *,
    descending: bool,
    limit: int,
    hot_first: bool = False,
) -> list[Reading]:
    """The page when the segments' points (oldest first) all come before the hot rows (in page
    order), or all after them (`hot_first`): no point overrides another, so the page is one run
    of each."""
    if descending:
        ts, values = ts[::-1], values[::-1]
    if descending == hot_first:  # the segments' points lead the page
        page = _readings(ts[:limit], values[:limit])
        return page + hot[: limit - len(page)]
    page = hot[:limit]
    room = limit - len(page)
    return page + _readings(ts[:room], values[:room]) if room > 0 else page


def _readings(ts: NDArray[np.int64], values: NDArray[np.float64]) -> list[Reading]:
    return [
        {"ts": instant(stamp), "value": number}
        for stamp, number in zip(ts.tolist(), values.tolist(), strict=True)
    ]


def _interleaved(
    hot: list[Reading],
    ts: NDArray[np.int64],
    values: NDArray[np.float64],
    *,
    descending: bool,
    limit: int,
) -> list[Reading]:
    """The page when hot rows (oldest first) fall among the segments' points (late rows): one
    sort of all."""
    hot_ts = np.array([micros(r["ts"]) for r in hot], dtype=np.int64)
    keep = ~np.isin(ts, hot_ts)  # a stored row overrides the segment's point
    ts, values = ts[keep], values[keep]
    # Every point of the page by time: >= 0, the index of a hot reading; < 0, -1 - the index
    # of a segment point. No two share a time (overridden points are gone, chunks are apart).
    where = np.concatenate((np.arange(hot_ts.size), -1 - np.arange(ts.size)))
    order = np.argsort(np.concatenate((hot_ts, ts)), kind="stable")
    if descending:
        order = order[::-1]
    stamps, numbers = ts.tolist(), values.tolist()
    page: list[Reading] = []
    for i in where[order[:limit]].tolist():
        page.append(hot[i] if i >= 0 else {"ts": instant(stamps[-1 - i]), "value": numbers[-1 - i]})
    return page


# Blobs are decoded in groups of about this many points: numpy's passes stay in cache, where
# one pass over millions of points would wait on memory.
_DECODE_GROUP_POINTS = 1 << 17
_ORIGIN_US = micros(BUCKET_ORIGIN)


def merge_rollups(
    rows: Iterable[tuple[Any, ...]], start: datetime, end: datetime, bucket: timedelta
) -> dict[int, list[Rollup]]:
    """Each owned signal's non-empty buckets, oldest first (an owned signal with none: []).

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
    # One datetime per distinct bucket start, shared by every signal's bucket there. Bucket
    # starts are whole seconds (buckets are, and so is their origin).
    seconds, where = np.unique(merged.buckets // 1_000_000, return_inverse=True)
    at = [datetime.fromtimestamp(second, UTC) for second in seconds.tolist()]
    rollups = [
        Rollup(at[i], n, lo, hi, total / n)
        for i, n, lo, hi, total in zip(
            where.tolist(),
            merged.counts.tolist(),
            merged.lows.tolist(),
            merged.highs.tolist(),
            merged.totals.tolist(),
            strict=True,
        )
    ]
    bounds = np.searchsorted(merged.signals, np.arange(len(owned) + 1)).tolist()
    return {signal_id: rollups[bounds[i] : bounds[i + 1]] for i, signal_id in enumerate(owned)}


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
    keep = (ts >= low) & (ts < high)
    signal, ts, values = signal[keep], ts[keep], values[keep]
    starts = (ts - _ORIGIN_US) // bucket_us * bucket_us + _ORIGIN_US
    firsts = np.flatnonzero(_run_starts(signal, starts)) if ts.size else np.zeros(0, np.int64)
    if ts.size == 0:
        return _Columns(signal, starts, np.zeros(0, np.int64), values, values, values)
    return _Columns(
        signal[firsts],
        starts[firsts],
        np.diff(np.append(firsts, ts.size)),
        np.minimum.reduceat(values, firsts),
        np.maximum.reduceat(values, firsts),
        np.add.reduceat(values, firsts),
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
