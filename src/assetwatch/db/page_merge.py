"""Merging a raw page: the hot rows and the decoded segments' points of a range into one page,
in order (numpy for the segments' points; only those on the page become readings).

A point in both stores was written again after its hour was compacted: the stored row wins.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from assetwatch.db.compaction import instant, micros
from assetwatch.domain import Reading
from assetwatch.encoding import segment_batch


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
    ts, values = segment_batch.decode_many(blobs)
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
