"""Day summaries (`segment_days`): which days a rollup takes from them, and the upgrade that
counts the days of segments already stored. That the triggers keep them equal to the segments
through compaction, late merges, retention and deletion is checked by the storage model test
(`check_segment_days`), as are the rollups that read them."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import text

from assetwatch.db import migrations
from assetwatch.db.compaction import micros
from assetwatch.db.telemetry_reads import whole_days
from assetwatch.encoding import segment
from tests.integration.migrations.catalog import connect

DAY = timedelta(days=1)
MIDNIGHT = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "bucket", "days"),
    [
        # Midnights inside the range bound the days it holds whole.
        (MIDNIGHT - timedelta(hours=3), MIDNIGHT + 2 * DAY + timedelta(hours=1), DAY, (0, 2)),
        # A range from midnight to midnight holds every one of its days.
        (MIDNIGHT, MIDNIGHT + 3 * DAY, 2 * DAY, (0, 3)),
        # Less than a whole day, or buckets that are not whole days: none.
        (MIDNIGHT + timedelta(hours=1), MIDNIGHT + DAY + timedelta(hours=23), DAY, None),
        (MIDNIGHT, MIDNIGHT + timedelta(hours=23), DAY, None),
        (MIDNIGHT, MIDNIGHT + 3 * DAY, timedelta(hours=12), None),
        (MIDNIGHT, MIDNIGHT + 3 * DAY, timedelta(hours=36), None),
    ],
)
def test_a_rollup_reads_the_days_its_range_holds_whole(
    start: datetime, end: datetime, bucket: timedelta, days: tuple[int, int] | None
) -> None:
    low, high = whole_days(start, end, bucket)
    if days is None:
        assert low == high  # an empty span of days
    else:
        assert (low, high) == (MIDNIGHT + days[0] * DAY, MIDNIGHT + days[1] * DAY)


def test_the_upgrade_counts_the_days_of_the_segments_already_stored(
    fresh_database_url: str,
) -> None:
    migrations.upgrade(fresh_database_url, "0006")
    hours = [MIDNIGHT + timedelta(hours=h) for h in (0, 5, 23, 24, 30)]
    with connect(fresh_database_url) as connection:
        for i, hour in enumerate(hours):
            ts = np.array([micros(hour), micros(hour) + 10_000_000], dtype=np.int64)
            values = np.array([float(i), -float(i)])
            connection.execute(
                text("INSERT INTO segments VALUES (7, :hour, :hour, :last, 2, :lo, :hi, 0, :blob)"),
                {
                    "hour": hour,
                    "last": hour + timedelta(seconds=10),
                    "lo": -float(i),
                    "hi": float(i),
                    "blob": segment.encode(ts, values),
                },
            )
        connection.commit()
    migrations.upgrade(fresh_database_url)
    with connect(fresh_database_url) as connection:
        rows = connection.execute(
            text("SELECT signal_id, day, count, min, max, sum FROM segment_days ORDER BY day")
        ).all()
        assert [tuple(row) for row in rows] == [
            (7, MIDNIGHT, 6, -2.0, 2.0, 0.0),
            (7, MIDNIGHT + DAY, 4, -4.0, 4.0, 0.0),
        ]
        # And from then on, the triggers: a segment deleted is a day recounted.
        connection.execute(text("DELETE FROM segments WHERE chunk_start = :h"), {"h": hours[3]})
        connection.execute(text("DELETE FROM segments WHERE chunk_start < :h"), {"h": hours[3]})
        rows = connection.execute(text("SELECT day, count, min, max FROM segment_days")).all()
        assert [tuple(row) for row in rows] == [(MIDNIGHT + DAY, 2, -4.0, 4.0)]
