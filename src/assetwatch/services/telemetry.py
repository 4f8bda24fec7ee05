"""Telemetry use cases: batch ingest, raw ranges, rollups and the latest state of an asset.

They run on the `TelemetryStore`, whose every statement is atomic and committed by itself:
there is no unit of work here to open, commit or roll back.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from assetwatch.domain import (
    FieldError,
    InvalidInput,
    LatestPoint,
    NotFound,
    Points,
    Reading,
    Role,
    Rollup,
)
from assetwatch.domain.readings import check_bucket_count, check_range, parse_bucket
from assetwatch.domain.types import utcnow
from assetwatch.services.auth import Principal
from assetwatch.services.pagination import Page, after_instant, instant_cursor
from assetwatch.services.ports import TelemetryStore

MAX_READINGS_LIMIT = 10_000


async def ingest(
    store: TelemetryStore,
    caller: Principal,
    points: Points,
    *,
    max_future: timedelta,
) -> int:
    """Write a batch atomically: every point is valid and the caller's, or nothing is written.

    Returns the number of points written (duplicates of one (signal, ts) in the batch count once:
    the last one wins, as a re-sent point overwrites the stored one).
    """
    caller.require(Role.writer)
    errors = points.future_errors(utcnow(), max_future)
    if errors:
        raise InvalidInput(f"{len(errors)} point(s) are stamped in the future", errors)
    batch = points.last_write_wins()
    if not batch:
        return 0
    unknown = await store.write(caller.organization_id, batch)  # all or nothing, by itself
    if unknown:
        raise InvalidInput(
            f"unknown signal ids: {sorted(unknown)}; nothing was written",
            [
                FieldError(
                    ("points", index, "signal_id"), f"unknown signal {signal_id}", "unknown_signal"
                )
                for index, signal_id in points.first_index_of_each(unknown)
            ],
        )
    return len(batch)


async def _check_signal(store: TelemetryStore, caller: Principal, signal_id: int) -> None:
    """After an empty read: tell "no points" from "no such signal" (a second statement, rare)."""
    if not await store.signal_exists(caller.organization_id, signal_id):
        raise NotFound(f"no signal {signal_id}")


async def readings(
    store: TelemetryStore,
    caller: Principal,
    signal_id: int,
    *,
    start: datetime | None,
    end: datetime | None,
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[Reading]:
    """Raw points in `[start, end)`, oldest or newest first, a keyset page at a time."""
    caller.require(Role.reader)
    if start is not None and end is not None:
        check_range(start, end)
    last_served = after_instant(cursor)
    if last_served is not None:
        # Resume strictly after the last point served, in the order asked: it narrows the
        # range's open side.
        if descending:
            end = last_served if end is None else min(end, last_served)
        else:
            following = last_served + timedelta(microseconds=1)  # PostgreSQL keeps microseconds
            start = following if start is None else max(start, following)
    rows = await store.readings(
        caller.organization_id,
        signal_id,
        start=start,
        end=end,
        descending=descending,
        limit=limit + 1,
    )
    if not rows:
        await _check_signal(store, caller, signal_id)
    if len(rows) <= limit:
        return Page(list(rows), None)
    items = list(rows[:limit])
    return Page(items, instant_cursor(items[-1]["ts"]))


async def rollups(
    store: TelemetryStore,
    caller: Principal,
    signal_id: int,
    *,
    bucket: str,
    start: datetime,
    end: datetime,
) -> Sequence[Rollup]:
    caller.require(Role.reader)
    width = parse_bucket(bucket)
    check_bucket_count(start, end, width)
    rows = await store.rollups(
        caller.organization_id, signal_id, start=start, end=end, bucket=width
    )
    if not rows:
        await _check_signal(store, caller, signal_id)
    return rows


async def latest(store: TelemetryStore, caller: Principal, asset_id: int) -> Sequence[LatestPoint]:
    caller.require(Role.reader)
    points = await store.latest(caller.organization_id, asset_id)
    if points is None:
        raise NotFound(f"no asset {asset_id}")
    return points


async def asset_rollups(
    store: TelemetryStore,
    caller: Principal,
    asset_id: int,
    *,
    bucket: str,
    start: datetime,
    end: datetime,
    signal_ids: Sequence[int] | None,
) -> Mapping[int, Sequence[Rollup]]:
    """Every signal of the asset (or those in `signal_ids`) with its buckets, in one statement."""
    caller.require(Role.reader)
    width = parse_bucket(bucket)
    check_bucket_count(start, end, width)
    series = await store.asset_rollups(
        caller.organization_id,
        asset_id,
        signal_ids=signal_ids,
        start=start,
        end=end,
        bucket=width,
    )
    if not series and not await store.asset_exists(caller.organization_id, asset_id):
        raise NotFound(f"no asset {asset_id}")
    return series
