"""Read- and write-side Core SQL for the hot paths (no ORM entities; rows in, rows out).

Each function is one statement. Measurements are always reached through their primary key
(signal_id, ts); the latest point of every signal comes from the denormalised columns on
`signals`, never from scanning measurements.
"""

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ARRAY, BigInteger, DateTime, Double, Select, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from assetwatch.db import tables
from assetwatch.domain import LatestPoint, Measurement, Reading, Rollup
from assetwatch.domain.readings import BUCKET_ORIGIN

m, s, a = tables.measurements.c, tables.signals.c, tables.assets.c

# One statement per batch: upsert every point, then move each signal's latest point forward
# only (an older point arriving late never replaces a newer one). Parameters are three arrays,
# so the statement text is the same for every batch size.
INGEST = text(
    """
WITH batch AS (
    SELECT * FROM unnest(:signal_ids, :ts, :values) AS b(signal_id, ts, value)
), written AS (
    INSERT INTO measurements (signal_id, ts, value)
    SELECT signal_id, ts, value FROM batch
    ON CONFLICT (signal_id, ts) DO UPDATE SET value = EXCLUDED.value
), newest AS (
    SELECT DISTINCT ON (signal_id) signal_id, ts, value
    FROM batch ORDER BY signal_id, ts DESC
)
UPDATE signals SET last_ts = newest.ts, last_value = newest.value
FROM newest
WHERE signals.id = newest.signal_id
  AND (signals.last_ts IS NULL OR signals.last_ts <= newest.ts)
"""
).bindparams(
    bindparam("signal_ids", type_=ARRAY(BigInteger)),
    bindparam("ts", type_=ARRAY(DateTime(timezone=True))),
    bindparam("values", type_=ARRAY(Double)),
)


async def write_measurements(session: AsyncSession, points: Sequence[Measurement]) -> None:
    """`points` must hold one point per (signal, ts): ON CONFLICT cannot touch a row twice."""
    await session.execute(
        INGEST,
        {
            "signal_ids": [p.signal_id for p in points],
            "ts": [p.ts for p in points],
            "values": [p.value for p in points],
        },
    )


async def owned_signal_ids(
    session: AsyncSession, organization_id: int, signal_ids: Collection[int]
) -> set[int]:
    stmt = (
        select(s.id)
        .join(tables.assets, a.id == s.asset_id)
        .where(s.id.in_(list(signal_ids)), a.organization_id == organization_id)
    )
    return set((await session.scalars(stmt)).all())


def readings_statement(
    signal_id: int,
    *,
    start: datetime | None,
    end: datetime | None,
    descending: bool,
    limit: int,
) -> Select[datetime, float]:
    stmt = select(m.ts, m.value).where(m.signal_id == signal_id)
    if start is not None:
        stmt = stmt.where(m.ts >= start)
    if end is not None:
        stmt = stmt.where(m.ts < end)
    return stmt.order_by(m.ts.desc() if descending else m.ts).limit(limit)


async def readings(session: AsyncSession, signal_id: int, **window: Any) -> list[Reading]:
    result = await session.execute(readings_statement(signal_id, **window))
    return [Reading(ts, value) for ts, value in result]


def rollups_statement(
    signal_id: int, *, start: datetime, end: datetime, bucket: timedelta
) -> Select[datetime, int, float, float, float]:
    bucket_start = func.date_bin(bucket, m.ts, BUCKET_ORIGIN).label("bucket_start")
    return (
        select(bucket_start, func.count(), func.min(m.value), func.max(m.value), func.avg(m.value))
        .where(m.signal_id == signal_id, m.ts >= start, m.ts < end)
        .group_by(bucket_start)
        .order_by(bucket_start)
    )


async def rollups(session: AsyncSession, signal_id: int, **window: Any) -> list[Rollup]:
    result = await session.execute(rollups_statement(signal_id, **window))
    return [Rollup(*row) for row in result]


async def latest(
    session: AsyncSession, organization_id: int, asset_id: int
) -> list[LatestPoint] | None:
    """One statement: the asset (to tell 'not yours' from 'no signals') left-joined to signals."""
    stmt = (
        select(s.id, s.name, s.unit, s.last_ts, s.last_value)
        .select_from(tables.assets)
        .outerjoin(tables.signals, s.asset_id == a.id)
        .where(a.id == asset_id, a.organization_id == organization_id)
        .order_by(s.id)
    )
    rows = (await session.execute(stmt)).all()
    if not rows:
        return None
    return [LatestPoint(*row) for row in rows if row[0] is not None]
