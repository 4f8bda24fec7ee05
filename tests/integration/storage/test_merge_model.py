"""The rollup merge against a naive model: hot buckets, decoded segments and late rows that
override compacted points add up to the buckets of the points written, for several signals at
once. Pure (no database), but it imports the db layer, which the unit suite keeps out."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from assetwatch.db.compaction import instant, micros
from assetwatch.db.telemetry_merge import merge_rollups
from assetwatch.domain.readings import BUCKET_ORIGIN
from assetwatch.encoding import segment, slots

HOUR_US = 3_600_000_000
BASE_US = micros(datetime(2026, 11, 22, 6, tzinfo=UTC))
SIGNALS = (11, 7, 30)

stamps = st.integers(0, 4 * 3600 - 1).map(lambda s: BASE_US + s * 1_000_000)
values = st.integers(-1000, 1000).map(lambda v: v / 10)


@st.composite
def stores(draw: st.DrawFn) -> dict[str, Any]:
    owned = draw(st.lists(st.sampled_from(SIGNALS), min_size=1, max_size=3, unique=True))
    compacted_hours = draw(st.integers(0, 4))  # hours before this are segments, after: rows
    watermark = BASE_US + compacted_hours * HOUR_US
    points = {sid: draw(st.dictionaries(stamps, values, max_size=40)) for sid in owned}
    late = {
        sid: draw(st.dictionaries(stamps.filter(lambda t: t < watermark), values, max_size=5))
        for sid in owned
    }
    bucket_s = draw(st.sampled_from([60, 300, 420, 900, 3600, 7200, 86400]))
    start = draw(stamps)
    end = draw(stamps.filter(lambda t: t > start))
    return {
        "owned": owned,
        "watermark": watermark,
        "points": points,
        "late": late,
        "bucket": timedelta(seconds=bucket_s),
        "start": start,
        "end": end,
        "use_slots": draw(st.booleans()),
    }


def _bucket_of(ts_us: int, bucket_us: int) -> int:
    origin = micros(BUCKET_ORIGIN)
    return (ts_us - origin) // bucket_us * bucket_us + origin


def _rows(store: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What the rollup statement returns: kinds 0 (hot buckets), 2 (segments), 3 (late rows),
    4 (owned signals), 5 (slots), instants in µs; segments are every chunk with points before
    the watermark."""
    bucket_us = store["bucket"] // timedelta(microseconds=1)
    rows: list[tuple[Any, ...]] = [
        (4, sid, None, None, None, None, None, None) for sid in store["owned"]
    ]
    for sid in store["owned"]:
        chunks: dict[int, list[tuple[int, float]]] = defaultdict(list)
        hot: dict[int, list[float]] = defaultdict(list)
        for ts, value in sorted(store["points"][sid].items()):
            if ts < store["watermark"]:
                chunks[ts // HOUR_US * HOUR_US].append((ts, value))
            elif store["start"] <= ts < store["end"]:
                hot[_bucket_of(ts, bucket_us)].append(value)
        for chunk, held in chunks.items():
            ts = np.array([t for t, _ in held], dtype=np.int64)
            vals = np.array([v for _, v in held], dtype=np.float64)
            # As the statement chooses: slots for a segment wholly in range that no late row
            # overrides, when the bucket is whole five minutes; else the blob.
            if (
                store["use_slots"]
                and bucket_us % slots.SLOT_US == 0
                and store["start"] <= ts[0]
                and ts[-1] < store["end"]
                and not any(chunk <= t < chunk + HOUR_US for t in store["late"][sid])
                and (found := slots.encode(chunk, ts, vals)) != slots.NONE
            ):
                rows.append((5, sid, chunk, len(held), None, None, None, found))
                continue
            blob = segment.encode(ts, vals)
            rows.append((2, sid, chunk, len(held), None, None, None, blob))
        for b, vs in hot.items():
            rows.append((0, sid, b, len(vs), min(vs), max(vs), sum(vs), None))
        for ts, value in store["late"][sid].items():
            if store["start"] <= ts < store["end"]:
                rows.append((3, sid, ts, None, value, None, None, None))
    return rows


def _expected(store: dict[str, Any]) -> dict[int, list[tuple[datetime, int, float, float]]]:
    bucket_us = store["bucket"] // timedelta(microseconds=1)
    out = {}
    for sid in store["owned"]:
        points = {**store["points"][sid], **store["late"][sid]}
        buckets: dict[int, list[float]] = defaultdict(list)
        for ts, value in sorted(points.items()):
            if store["start"] <= ts < store["end"]:
                buckets[_bucket_of(ts, bucket_us)].append(value)
        out[sid] = [
            (instant(b), len(vs), min(vs), max(vs), sum(vs) / len(vs))
            for b, vs in sorted(buckets.items())
        ]
    return out


@given(stores())
def test_the_merge_gives_the_buckets_of_the_points_written(store: dict[str, Any]) -> None:
    merged = merge_rollups(
        _rows(store), instant(store["start"]), instant(store["end"]), store["bucket"]
    )
    expected = _expected(store)
    assert set(merged) == set(expected)
    for sid, buckets in expected.items():
        got = merged[sid]
        assert [(r.bucket_start, r.count, r.min, r.max) for r in got] == [b[:4] for b in buckets]
        for rollup, bucket in zip(got, buckets, strict=True):
            assert abs(rollup.avg - bucket[4]) <= 1e-9 * max(1.0, abs(bucket[4]))


def test_a_late_row_overrides_the_compacted_point_at_its_instant() -> None:
    ts = np.array([BASE_US, BASE_US + 10_000_000], dtype=np.int64)
    blob = segment.encode(ts, np.array([1.0, 2.0]))
    rows = [
        (4, 5, None, None, None, None, None, None),
        (2, 5, BASE_US, 2, None, None, None, blob),
        (3, 5, BASE_US, None, 100.0, None, None, None),
    ]
    start, end = instant(BASE_US), instant(BASE_US + HOUR_US)
    [rollup] = merge_rollups(rows, start, end, timedelta(hours=1))[5]
    assert (rollup.count, rollup.min, rollup.max, rollup.avg) == (2, 2.0, 100.0, 51.0)


def test_an_owned_signal_without_points_has_no_buckets() -> None:
    rows = [(4, 9, None, None, None, None, None, None)]
    start, end = instant(BASE_US), instant(BASE_US + HOUR_US)
    assert merge_rollups(rows, start, end, timedelta(minutes=1)) == {9: []}
