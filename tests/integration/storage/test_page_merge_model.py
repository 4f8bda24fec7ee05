"""The raw-page merge against a naive model: hot rows and decoded segments, in whatever order
the segments come, make the page of the points written, a stored row overriding a compacted
point at its instant. Pure (no database), but it imports the db layer, which the unit suite
keeps out."""

from datetime import UTC, datetime
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from assetwatch.db.compaction import instant, micros
from assetwatch.db.page_merge import merge_readings
from assetwatch.encoding import segment

HOUR_US = 3_600_000_000
BASE_US = micros(datetime(2026, 11, 22, 6, tzinfo=UTC))

# An hour, then a second in it: plain integers would crowd into the first hour.
stamps = st.builds(
    lambda hour, second: BASE_US + hour * HOUR_US + second * 1_000_000,
    st.integers(0, 3),
    st.integers(0, 3599),
)
values = st.integers(-1000, 1000).map(lambda v: v / 10)


@st.composite
def stores(draw: st.DrawFn) -> dict[str, Any]:
    compacted_hours = draw(st.integers(0, 4))  # hours before this are segments, after: rows
    watermark = BASE_US + compacted_hours * HOUR_US
    start = draw(stamps)
    size = draw(st.integers(0, 80))
    # A drawn size: dictionaries left to choose theirs are mostly tiny (one segment).
    points = draw(st.dictionaries(stamps, values, min_size=size, max_size=size))
    compacted = sorted(t for t in points if t < watermark)
    # Rows written again after their hour was compacted: at a compacted instant (overriding
    # its point) or between them.
    late_stamps = st.one_of(
        st.sampled_from(compacted) if compacted else st.nothing(),
        stamps.filter(lambda t: t < watermark),
    )
    return {
        "watermark": watermark,
        "points": points,
        "late": draw(st.dictionaries(late_stamps, values, max_size=6)) if compacted_hours else {},
        "start": start,
        "end": draw(stamps.filter(lambda t: t > start)),
        "descending": draw(st.booleans()),
        "limit": draw(st.integers(1, 70)),
        "shuffle": draw(st.randoms()),
    }


def _rows(store: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What the readings statement returns: the hot rows of the range in page order, at most
    `limit`, then the blobs of every segment holding points of the range, in any order."""
    hot = {t: v for t, v in store["points"].items() if t >= store["watermark"]} | store["late"]
    in_range = sorted(
        (t for t in hot if store["start"] <= t < store["end"]), reverse=store["descending"]
    )
    rows: list[tuple[Any, ...]] = [(instant(t), hot[t], None) for t in in_range[: store["limit"]]]
    chunks: dict[int, list[int]] = {}
    for t in sorted(store["points"]):
        if t < store["watermark"]:
            chunks.setdefault(t // HOUR_US * HOUR_US, []).append(t)
    blobs = []
    for held in chunks.values():
        if any(store["start"] <= t < store["end"] for t in held):
            ts = np.array(held, dtype=np.int64)
            blobs.append(segment.encode(ts, np.array([store["points"][t] for t in held])))
    store["shuffle"].shuffle(blobs)
    return rows + [(None, None, blob) for blob in blobs]


@given(stores())
def test_the_merge_gives_the_page_of_the_points_written(store: dict[str, Any]) -> None:
    page = merge_readings(
        _rows(store),
        instant(store["start"]),
        instant(store["end"]),
        descending=store["descending"],
        limit=store["limit"],
    )
    written = store["points"] | store["late"]  # a stored row wins over the compacted point
    expected = sorted(
        (t for t in written if store["start"] <= t < store["end"]), reverse=store["descending"]
    )[: store["limit"]]
    assert [(micros(r["ts"]), r["value"]) for r in page] == [(t, written[t]) for t in expected]
