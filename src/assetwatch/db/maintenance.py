"""The maintenance worker: partitions ahead, compaction, slot summaries of segments and of hot
rows, partition drops, retention.

One instance works at a time: it holds a session-level advisory lock on a connection of its
own, and another instance waits on standby until that connection goes. Every step is its own
transaction (see `compaction`), so the worker can be killed at any moment and the next one
carries on where it stood.
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from prometheus_client import Counter, Gauge
from psycopg import AsyncConnection
from sqlalchemy import make_url

from assetwatch.config import Settings
from assetwatch.db import compaction, partitions, recent_slots, retention

log = logging.getLogger(__name__)

# pg_advisory_lock key: "assetwatch maintenance" (migrations use their own key).
LOCK_KEY = 0x6177_6D61_696E_7400
DROP_LOCK_TIMEOUT_MS = 100
ATTACH_LOCK_TIMEOUT_MS = 1000

LAG = Gauge(
    "assetwatch_worker_compaction_lag_seconds",
    "How far compaction is behind the hot window's edge (0: caught up)",
)
LAST_CYCLE = Gauge("assetwatch_worker_last_cycle_timestamp_seconds", "When a cycle last ended")
ACTIVE = Gauge("assetwatch_worker_active", "1 while this instance holds the worker lock")
POINTS = Counter("assetwatch_worker_points_compacted_total", "Points rewritten into segments")
SEGMENTS = Counter("assetwatch_worker_segments_written_total", "Segments written or rewritten")
PARTITIONS = Counter(
    "assetwatch_worker_partitions_total", "Hourly partitions attached or dropped", ["action"]
)
EXPIRED = Counter("assetwatch_worker_segments_expired_total", "Segments deleted by retention")
SLOTTED = Counter(
    "assetwatch_worker_segments_slotted_total", "Older segments given their slot summaries"
)

SUMMARISED = Counter(
    "assetwatch_worker_recent_slots_total",
    "Five-minute summaries of hot rows written: newly sealed, or again after a late point",
    ["reason"],
)


@dataclass
class Cycle:
    """What one cycle did."""

    hours: int = 0
    points: int = 0
    segments: int = 0
    attached: int = 0
    dropped: int = 0
    expired: int = 0
    slotted: int = 0
    summarised: int = 0
    resummarised: int = 0
    lag: timedelta = field(default_factory=timedelta)


async def _now(conn: AsyncConnection[Any]) -> datetime:
    cursor = await conn.execute("SELECT now()")
    row = await cursor.fetchone()
    assert row is not None
    now: datetime = row[0]
    return now


async def run_cycle(conn: AsyncConnection[Any], settings: Settings) -> Cycle:
    """Bring storage up to date: the caller holds the worker lock on `conn` (autocommit)."""
    done = Cycle()
    now = await _now(conn)
    hot_window = timedelta(seconds=settings.storage_hot_window_seconds)
    done.attached = await partitions.create_ahead(
        conn,
        now,
        timedelta(hours=settings.partitions_ahead_hours),
        lock_timeout_ms=ATTACH_LOCK_TIMEOUT_MS,
    )
    horizon = partitions.floor_hour(now - hot_window)
    while (step := await compaction.compact_hour(conn, horizon)) is not None:
        done.hours += 1
        done.points += step.points
        done.segments += step.segments
    while (late := await compaction.compact_late(conn)).points:
        done.points += late.points
        done.segments += late.segments
    while filled := await compaction.fill_slots(conn):
        done.slotted += filled
    await recent_slots.seal(conn, recent_slots.seal_time(now))
    done.summarised = await recent_slots.sum_up(conn)
    done.resummarised = await recent_slots.sum_up_stale(conn)
    through = await compaction.compacted_through(conn)
    done.dropped = await partitions.drop_compacted(
        conn, through, lock_timeout_ms=DROP_LOCK_TIMEOUT_MS
    )
    done.expired = (await retention.expire(conn, settings.retention_days)).segments
    done.lag = max(timedelta(0), now - hot_window - through - compaction.CHUNK)
    POINTS.inc(done.points)
    SEGMENTS.inc(done.segments)
    PARTITIONS.labels("attached").inc(done.attached)
    PARTITIONS.labels("dropped").inc(done.dropped)
    EXPIRED.inc(done.expired)
    SLOTTED.inc(done.slotted)
    SUMMARISED.labels("sealed").inc(done.summarised)
    SUMMARISED.labels("stale").inc(done.resummarised)
    LAG.set(done.lag.total_seconds())
    LAST_CYCLE.set(time.time())
    return done


async def _try_lock(conn: AsyncConnection[Any]) -> bool:
    cursor = await conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
    row = await cursor.fetchone()
    return bool(row and row[0])


async def run_worker(
    url: str, settings: Settings, stop: asyncio.Event, *, once: bool = False
) -> None:
    """Run cycles every `worker_interval_seconds` until `stop` is set (`once`: one cycle)."""
    interval = settings.worker_interval_seconds
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    while not stop.is_set():
        try:
            async with await AsyncConnection.connect(
                conninfo,
                autocommit=True,
                application_name="assetwatch-worker",
                options="-c timezone=UTC",
            ) as conn:
                while not stop.is_set():
                    if await _try_lock(conn):
                        ACTIVE.set(1)
                        cycle = await run_cycle(conn, settings)
                        log.info("maintenance cycle: %s", cycle)
                        if once:
                            return
                    else:
                        ACTIVE.set(0)
                        log.info("another worker holds the lock: standing by")
                        if once:
                            return
                    await _sleep(stop, interval)
        except psycopg.OperationalError as error:  # the database went away: try again later
            ACTIVE.set(0)
            log.warning("maintenance worker lost its connection: %s", error)
            if once:
                raise
            await _sleep(stop, interval)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
