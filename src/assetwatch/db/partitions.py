"""The hourly partitions of `measurements`: made ahead of time, dropped once compacted.

A partition is made as a plain table, then attached (a SHARE UPDATE EXCLUSIVE lock on the parent:
ingest and reads go on). Dropping one needs an ACCESS EXCLUSIVE lock on the parent, taken first
(so it cannot deadlock with an insert into the partition), then on the partition, each given up
after `lock_timeout`: reads and writes queue behind it for at most that long, and a later cycle
tries again.
"""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import AsyncConnection, sql

from assetwatch.db.compaction import CHUNK

log = logging.getLogger(__name__)

PREFIX = "measurements_p"
DEFAULT_PARTITION = "measurements_default"
# Attaching a partition scans the default one for rows of its hour; past this many rows there
# (a database migrated from one plain table, until compaction has caught up) none is attached
# and new points go to the default partition meanwhile.
MAX_DEFAULT_ROWS = 100_000


def partition_name(hour: datetime) -> str:
    return f"{PREFIX}{hour.astimezone(UTC):%Y%m%d%H}"


def hour_of(name: str) -> datetime:
    return datetime.strptime(name.removeprefix(PREFIX), "%Y%m%d%H").replace(tzinfo=UTC)


def floor_hour(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


async def hourly_partitions(conn: AsyncConnection[Any]) -> list[datetime]:
    """The hours that have a partition, oldest first."""
    cursor = await conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'measurements'::regclass AND c.relname LIKE 'measurements_p%%'"
    )
    return sorted(hour_of(name) for (name,) in await cursor.fetchall())


async def _default_is_large(conn: AsyncConnection[Any]) -> bool:
    cursor = await conn.execute(
        sql.SQL("SELECT count(*) FROM (SELECT FROM {} LIMIT %s) AS head").format(
            sql.Identifier(DEFAULT_PARTITION)
        ),
        (MAX_DEFAULT_ROWS + 1,),
    )
    row = await cursor.fetchone()
    return row is not None and row[0] > MAX_DEFAULT_ROWS


async def create_ahead(
    conn: AsyncConnection[Any], now: datetime, ahead: timedelta, *, lock_timeout_ms: int
) -> int:
    """Attach a partition for each hour from now's to `now + ahead` that lacks one; the count.

    An hour whose points already sit in the default partition keeps them there (compaction
    takes them from it)."""
    existing = set(await hourly_partitions(conn))
    hours = []
    hour = floor_hour(now)
    while hour <= now + ahead:
        if hour not in existing:
            hours.append(hour)
        hour += CHUNK
    if not hours or await _default_is_large(conn):
        return 0
    made = 0
    for hour in hours:
        name = sql.Identifier(partition_name(hour))
        try:
            async with conn.transaction():
                await conn.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
                bounds = {"lo": sql.Literal(hour), "hi": sql.Literal(hour + CHUNK)}
                # DDL takes no parameters: the bounds go in as quoted literals.
                await conn.execute(
                    sql.SQL(
                        "CREATE TABLE {name} (LIKE measurements INCLUDING DEFAULTS INCLUDING "
                        "CONSTRAINTS, CHECK (ts >= {lo} AND ts < {hi}))"
                    ).format(name=name, **bounds)
                )
                await conn.execute(
                    sql.SQL(
                        "ALTER TABLE measurements ATTACH PARTITION {name} "
                        "FOR VALUES FROM ({lo}) TO ({hi})"
                    ).format(name=name, **bounds)
                )
            made += 1
        except psycopg.errors.CheckViolation:
            log.info("hour %s has points in the default partition; left there", hour)
        except psycopg.errors.LockNotAvailable:
            log.info("partition for %s not attached: the table was busy; next cycle", hour)
    return made


async def drop_compacted(
    conn: AsyncConnection[Any], compacted_through: datetime, *, lock_timeout_ms: int
) -> int:
    """Drop the empty partitions of compacted hours; the count.

    A partition still holding a point (written after its hour was compacted) waits for the next
    late-point compaction; one busy (autovacuum on it, say) for the next cycle. Only the parent
    is locked first (`ONLY`: not every partition), then the one partition."""
    dropped = 0
    for hour in await hourly_partitions(conn):
        if hour + CHUNK > compacted_through:
            break
        name = sql.Identifier(partition_name(hour))
        parent_locked = False
        try:
            async with conn.transaction():
                await conn.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
                await conn.execute("LOCK TABLE ONLY measurements IN ACCESS EXCLUSIVE MODE")
                parent_locked = True
                await conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(name))
                cursor = await conn.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(name))
                row = await cursor.fetchone()
                if row is not None and row[0]:
                    continue
                await conn.execute(sql.SQL("DROP TABLE {}").format(name))
            dropped += 1
        except psycopg.errors.LockNotAvailable:
            if not parent_locked:
                log.info("partitions not dropped: the table was busy; next cycle")
                break
            log.info("partition for %s not dropped: it was busy; next cycle", hour)
    return dropped
