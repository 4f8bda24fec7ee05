"""Plan every hot read once on each new pooled connection, with values that match nothing.

A PostgreSQL backend loads its catalog caches (tables, partitions, indexes, statistics) the
first time it plans a statement over them: several milliseconds that would otherwise fall on
the first request each pooled connection serves.
"""

import logging
from datetime import timedelta
from typing import Any

import psycopg
from psycopg import AsyncConnection

from assetwatch.db import queries, telemetry_reads
from assetwatch.domain.measurements import EARLIEST

log = logging.getLogger(__name__)

NOBODY = 0  # no organisation, asset or signal has id 0 (identities start at 1)


async def warm_up(conn: AsyncConnection[Any]) -> None:
    """psycopg_pool's `configure` callback: runs before the connection first enters the pool.

    A database not migrated yet has nothing to warm; the connection stays good (autocommit: no
    transaction to abort) and /readyz is what reports the schema. Any other failure means a
    statement and its parameters have drifted apart: logged as a warning, not hidden."""
    try:
        await plan_hot_reads(conn)
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
        log.debug("warm-up skipped: the schema is not migrated yet")
    except psycopg.Error:
        log.warning("warm-up of a pooled connection failed", exc_info=True)


async def plan_hot_reads(conn: AsyncConnection[Any]) -> None:
    """Run each hot read once with ids that match nothing (so it plans, and reads nothing)."""
    readings = telemetry_reads.readings_params(
        NOBODY, NOBODY, EARLIEST, queries.END_OF_TIME, limit=1
    )
    rollups = telemetry_reads.rollups_params(EARLIEST, queries.END_OF_TIME, timedelta(hours=1))
    work = [
        (telemetry_reads.READINGS[False], readings),
        (telemetry_reads.READINGS[True], readings),
        (telemetry_reads.ROLLUPS, {"organization_id": NOBODY, "signal_id": NOBODY, **rollups}),
        (
            telemetry_reads.ASSET_ROLLUPS,
            {"organization_id": NOBODY, "asset_id": NOBODY, "signal_ids": None, **rollups},
        ),
        (queries.LATEST, {"organization_id": NOBODY, "asset_id": NOBODY}),
    ]
    for statement, params in work:
        await conn.execute(statement.sql, statement.params(params), prepare=statement.generic)
