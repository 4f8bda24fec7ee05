"""The reads over both stores, hot rows and compressed segments, each one statement.

Raw reads fetch the hot rows of the range and just enough segments to fill the page. Rollups take
hot rows of uncompacted time (or their five-minute summaries, `recent_slots`, when the bucket is
a whole number of five minutes) and the whole-hour summaries of segments (when it is a whole
number of hours) aggregated by PostgreSQL, the five-minute slot summaries of segments (when it
is a whole number of five minutes), and the blobs of only the segments a bucket or the range
cuts, or that a late point overrides. `page_merge` and `telemetry_merge` put the rows together.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from assetwatch.db.compaction import CHUNK, CHUNK_US, instant, micros
from assetwatch.db.queries import Compiled
from assetwatch.db.recent_slots import SLOT
from assetwatch.domain.readings import BUCKET_ORIGIN

DAY = timedelta(days=1)

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


# Generic plans: planning the statement took three times as long as running it for a page of
# hot rows, and its one plan (index ranges, LIMIT) is right for every range (NARRATIVE.md).
READINGS = {
    False: Compiled(text(_readings_sql(descending=False)), generic=True, binary=True),
    True: Compiled(text(_readings_sql(descending=True)), generic=True, binary=True),
}


def _rollups_sql(owned: str) -> str:
    # A segment is summed up by PostgreSQL from its stored count/min/max/sum when the bucket is
    # a whole number of hours, the range holds all of it and no late row overrides one of its
    # points; otherwise its blob is decoded ("cut"). The cut ones are found by key, not by
    # testing every segment: the hours holding the range's ends, and those with late rows.
    # Buckets of whole five minutes (kind 5) take such a segment's slot summaries instead
    # (`slots`: NULL while the worker has yet to compute them, empty when it has none).
    late_in_hour = """EXISTS (
        SELECT FROM late WHERE late.signal_id = g.signal_id
          AND late.ts >= g.chunk_start AND late.ts < g.chunk_start + interval '1 hour'
    )"""
    # A late row in an hour with no segment (a device back-filling history the worker has not
    # merged yet) is the only copy of its point: PostgreSQL sums it up like a hot row. Only the
    # late rows of hours that have a segment come back one by one, to override its points.
    segment_of_late = """EXISTS (
        SELECT FROM segments s WHERE s.signal_id = late.signal_id
          AND s.chunk_start = date_bin(interval '1 hour', late.ts, :origin)
    )"""
    span = """g.chunk_start >= :chunk_low AND g.chunk_start < :end
      AND g.last_ts >= :start AND g.first_ts < :end"""
    overlapping = f"g.signal_id IN (SELECT id FROM owned) AND {span}"
    # Hot rows of uncompacted time are read one by one only where no summary answers for them:
    # `summed` is the span of sealed slots the range holds whole (when buckets are whole five
    # minutes), summed up in `recent_slots` except the slots logged in `stale_slots`, whose rows
    # are read instead. The slot tables are reached by `= ANY(ARRAY(...))` of the owned signals:
    # the generic plan of `IN (SELECT ...)` scanned every signal's slots (a skip scan).
    # Instants leave as µs since the epoch and counts as bigint: parsing thousands of
    # timestamps and numerics into datetimes and Decimals cost the merge more than its numpy.
    return f"""
WITH owned AS ({owned}), state AS (
    SELECT compacted_through AS w, summarised_through AS s FROM storage_state WHERE id = 1
), summed AS (
    SELECT CASE WHEN low < high THEN low ELSE CAST(:end AS timestamptz) END AS low,
           CASE WHEN low < high THEN high ELSE CAST(:end AS timestamptz) END AS high
    FROM (
        SELECT greatest(CAST(:slot_low AS timestamptz), w) AS low,
               least(CAST(:slot_high AS timestamptz), s) AS high
        FROM state
    ) AS span
), recent_rows AS (
    SELECT signal_id, ts, value FROM measurements
    WHERE signal_id IN (SELECT id FROM owned)
      AND ts >= greatest(:start, (SELECT w FROM state)) AND ts < (SELECT low FROM summed)
    UNION ALL
    SELECT signal_id, ts, value FROM measurements
    WHERE signal_id IN (SELECT id FROM owned)
      AND ts >= (SELECT high FROM summed) AND ts < :end
    UNION ALL
    SELECT m.signal_id, m.ts, m.value FROM stale_slots x JOIN measurements m
        ON m.signal_id = x.signal_id AND m.ts >= x.slot AND m.ts < x.slot + interval '5 minutes'
    WHERE x.signal_id = ANY(ARRAY(SELECT id FROM owned))
      AND x.slot >= (SELECT low FROM summed) AND x.slot < (SELECT high FROM summed)
), recent AS (
    SELECT signal_id, date_bin(:bucket, ts, :origin) AS b, count(*) AS n,
           min(value) AS lo, max(value) AS hi, sum(value) AS total
    FROM recent_rows
    GROUP BY 1, 2
), slot_sums AS (
    SELECT r.signal_id, date_bin(:bucket, r.slot, :origin) AS b, sum(r.count) AS n,
           min(r.min) AS lo, max(r.max) AS hi, sum(r.sum) AS total
    FROM recent_slots r
    WHERE r.signal_id = ANY(ARRAY(SELECT id FROM owned))
      AND r.slot >= (SELECT low FROM summed) AND r.slot < (SELECT high FROM summed)
      AND NOT EXISTS (
          SELECT FROM stale_slots x WHERE x.signal_id = r.signal_id AND x.slot = r.slot
      )
    GROUP BY 1, 2
), late AS MATERIALIZED (
    SELECT signal_id, ts, value FROM measurements
    WHERE signal_id IN (SELECT id FROM owned)
      AND ts >= :start AND ts < least(:end, (SELECT w FROM state))
), late_free AS (
    SELECT signal_id, date_bin(:bucket, ts, :origin) AS b, count(*) AS n,
           min(value) AS lo, max(value) AS hi, sum(value) AS total
    FROM late WHERE NOT {segment_of_late}
    GROUP BY 1, 2
), late_days AS (
    SELECT DISTINCT signal_id, date_bin(interval '1 day', ts, :origin) AS day FROM late
    WHERE ts >= :day_low AND ts < :day_high
), days AS (
    SELECT d.signal_id, date_bin(:bucket, d.day, :origin) AS b, sum(d.count) AS n,
           min(d.min) AS lo, max(d.max) AS hi, sum(d.sum) AS total
    FROM segment_days d
    WHERE d.signal_id IN (SELECT id FROM owned) AND d.day >= :day_low AND d.day < :day_high
      AND (d.signal_id, d.day) NOT IN (SELECT signal_id, day FROM late_days)
    GROUP BY 1, 2
), hours AS (
    SELECT g.* FROM segments g
    WHERE g.signal_id IN (SELECT id FROM owned)
      AND g.chunk_start >= :chunk_low AND g.chunk_start < :day_low
    UNION ALL
    SELECT g.* FROM segments g
    WHERE g.signal_id IN (SELECT id FROM owned)
      AND g.chunk_start >= :day_high AND g.chunk_start < :end
    UNION ALL
    SELECT g.* FROM late_days JOIN segments g ON g.signal_id = late_days.signal_id
      AND g.chunk_start >= late_days.day AND g.chunk_start < late_days.day + interval '1 day'
), whole AS (
    SELECT g.signal_id, date_bin(:bucket, g.chunk_start, :origin) AS b, sum(g.count) AS n,
           min(g.min) AS lo, max(g.max) AS hi, sum(g.sum) AS total
    FROM hours g
    WHERE :whole_hours AND {overlapping}
      AND g.first_ts >= :start AND g.last_ts < :end AND NOT {late_in_hour}
    GROUP BY 1, 2
), cut AS (
    SELECT g.signal_id, g.chunk_start FROM segments g
    WHERE :whole_hours AND {overlapping} AND g.chunk_start IN (:chunk_low, :chunk_high)
      AND (g.first_ts < :start OR g.last_ts >= :end OR {late_in_hour})
    UNION ALL
    SELECT g.signal_id, g.chunk_start FROM segments g
    WHERE :whole_hours AND {overlapping} AND g.chunk_start NOT IN (:chunk_low, :chunk_high)
      AND (g.signal_id, g.chunk_start) IN (
          SELECT signal_id, date_bin(interval '1 hour', ts, :origin) FROM late
      )
)
SELECT kind, signal_id, CAST(extract(epoch FROM b) * 1000000 AS bigint), CAST(n AS bigint),
       lo, hi, total, points
FROM (
SELECT 0 AS kind, signal_id, b, n, lo, hi, total, NULL::bytea AS points FROM recent
UNION ALL
SELECT 0, signal_id, b, n, lo, hi, total, NULL FROM slot_sums
UNION ALL
SELECT 1, signal_id, b, n, lo, hi, total, NULL FROM whole
UNION ALL
SELECT 1, signal_id, b, n, lo, hi, total, NULL FROM days
UNION ALL
SELECT 2, g.signal_id, g.chunk_start, g.count, NULL, NULL, NULL, g.points
FROM cut JOIN segments g USING (signal_id, chunk_start)
UNION ALL
SELECT CASE WHEN sliced THEN 5 ELSE 2 END, g.signal_id, g.chunk_start, g.count, NULL, NULL,
       NULL, CASE WHEN sliced THEN g.slots ELSE g.points END
FROM segments g, LATERAL (
    SELECT :whole_slots AND g.slots <> ''::bytea AND g.first_ts >= :start
           AND g.last_ts < :end AND NOT {late_in_hour} AS sliced
) AS way
WHERE NOT :whole_hours AND g.signal_id = ANY(ARRAY(SELECT id FROM owned)) AND {span}
UNION ALL
SELECT 0, signal_id, b, n, lo, hi, total, NULL FROM late_free
UNION ALL
SELECT 3, signal_id, ts, NULL, value, NULL, NULL, NULL FROM late WHERE {segment_of_late}
UNION ALL
SELECT 4, id, NULL, NULL, NULL, NULL, NULL, NULL FROM owned
) AS parts
"""


# Generic plans too: planning this statement took longer than running it for most ranges, and
# its one plan (each source by its primary key, partitions pruned as it starts) serves them all.
ROLLUPS = Compiled(text(_rollups_sql(_OWNED_SIGNAL)), generic=True, binary=True)
ASSET_ROLLUPS = Compiled(text(_rollups_sql(_OWNED_ASSET_SIGNALS)), generic=True, binary=True)


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


def whole_days(start: datetime, end: datetime, bucket: timedelta) -> tuple[datetime, datetime]:
    """The days `[low, high)` a rollup reads from day summaries: those the range holds whole,
    when its buckets are whole days (day starts are bucket boundaries); else an empty span."""
    low = chunk_low(start)
    if bucket % DAY:
        return low, low
    first = BUCKET_ORIGIN + -((BUCKET_ORIGIN - start) // DAY) * DAY  # the midnight at or after
    last = BUCKET_ORIGIN + (end - BUCKET_ORIGIN) // DAY * DAY  # the midnight at or before
    return (first, last) if first < last else (low, low)


def whole_slot_span(start: datetime, end: datetime, bucket: timedelta) -> tuple[datetime, datetime]:
    """The five minutes `[low, high)` a rollup may read from the hot rows' slot summaries: the
    slots the range holds whole, when its buckets are whole five minutes; else an empty span."""
    if bucket % SLOT:
        return start, start
    low = BUCKET_ORIGIN + -((BUCKET_ORIGIN - start) // SLOT) * SLOT  # the slot start at or after
    high = BUCKET_ORIGIN + (end - BUCKET_ORIGIN) // SLOT * SLOT  # the slot start at or before
    return (low, high) if low < high else (start, start)


def rollups_params(start: datetime, end: datetime, bucket: timedelta) -> dict[str, Any]:
    day_low, day_high = whole_days(start, end, bucket)
    slot_low, slot_high = whole_slot_span(start, end, bucket)
    return {
        "start": start,
        "end": end,
        "bucket": bucket,
        "origin": BUCKET_ORIGIN,
        "chunk_low": chunk_low(start),
        "chunk_high": chunk_low(end),
        "day_low": day_low,
        "day_high": day_high,
        "slot_low": slot_low,
        "slot_high": slot_high,
        "whole_hours": bucket % CHUNK == timedelta(0),
        "whole_slots": bucket % SLOT == timedelta(0),
    }
