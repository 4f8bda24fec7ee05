"""Telemetry's store: the hot paths' statements on a pooled driver connection, in autocommit.

Each statement is atomic by itself and commits as it runs; none joins a unit of work (the
aggregates' transaction, `unit_of_work`), which is why this is a store of its own.
"""

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

from psycopg import AsyncConnection

from assetwatch.db import page_merge, queries, telemetry_merge, telemetry_reads
from assetwatch.db.errors import DRIVER_UNAVAILABLE, UNAVAILABLE
from assetwatch.domain import LatestPoint, Points, Reading, Rollup, StoreUnavailable
from assetwatch.domain.measurements import EARLIEST
from assetwatch.observability import count_statement


class Connections(Protocol):
    """Where the hot paths borrow a driver connection: the process's pool (in autocommit)."""

    def connection(self) -> AbstractAsyncContextManager[AsyncConnection[Any]]: ...


class SqlTelemetryStore:
    """Implements `assetwatch.services.ports.TelemetryStore` (structurally; db does not import
    it): statements from `queries` and `telemetry_reads`, compiled once, each run on a pooled
    driver connection in autocommit. No session, no ORM, no BEGIN/COMMIT: on a read that is
    most of the cost SQLAlchemy would add."""

    def __init__(self, connections: Connections) -> None:
        self._connections = connections

    async def _rows(self, statement: queries.Compiled, params: dict[str, Any]) -> list[Any]:
        count_statement()
        try:
            async with self._connections.connection() as conn:
                cursor = await conn.execute(
                    statement.sql,
                    statement.params(params),
                    prepare=statement.generic,
                    binary=statement.binary,
                )
                return await cursor.fetchall()
        except DRIVER_UNAVAILABLE as error:
            raise StoreUnavailable(UNAVAILABLE) from error

    async def write(self, organization_id: int, points: Points) -> set[int]:
        """`points` must hold one point per (signal, ts): ON CONFLICT cannot touch a row twice.

        It raises no integrity error: a signal that is not the caller's (or no longer exists)
        comes back in the result, and nothing is written."""
        params = queries.ingest_params(organization_id, points)
        return {signal_id for (signal_id,) in await self._rows(queries.INGEST, params)}

    async def readings(
        self,
        organization_id: int,
        signal_id: int,
        *,
        start: datetime | None,
        end: datetime | None,
        descending: bool,
        limit: int,
    ) -> Sequence[Reading]:
        low = EARLIEST if start is None else start
        high = queries.END_OF_TIME if end is None else end
        params = telemetry_reads.readings_params(organization_id, signal_id, low, high, limit)
        rows = await self._rows(telemetry_reads.READINGS[descending], params)
        return page_merge.merge_readings(rows, low, high, descending=descending, limit=limit)

    async def rollups(
        self,
        organization_id: int,
        signal_id: int,
        *,
        start: datetime,
        end: datetime,
        bucket: timedelta,
    ) -> Sequence[Rollup]:
        params = {
            "organization_id": organization_id,
            "signal_id": signal_id,
            **telemetry_reads.rollups_params(start, end, bucket),
        }
        rows = await self._rows(telemetry_reads.ROLLUPS, params)
        return telemetry_merge.merge_rollups(rows, start, end, bucket).get(signal_id, ())

    async def asset_rollups(
        self,
        organization_id: int,
        asset_id: int,
        *,
        signal_ids: Sequence[int] | None,
        start: datetime,
        end: datetime,
        bucket: timedelta,
    ) -> Mapping[int, Sequence[Rollup]]:
        params = {
            "organization_id": organization_id,
            "asset_id": asset_id,
            "signal_ids": None if signal_ids is None else list(signal_ids),
            **telemetry_reads.rollups_params(start, end, bucket),
        }
        rows = await self._rows(telemetry_reads.ASSET_ROLLUPS, params)
        return telemetry_merge.merge_rollups(rows, start, end, bucket)

    async def latest(self, organization_id: int, asset_id: int) -> Sequence[LatestPoint] | None:
        params = {"organization_id": organization_id, "asset_id": asset_id}
        rows = await self._rows(queries.LATEST, params)
        if not rows:
            return None
        return [LatestPoint(*row) for row in rows if row[0] is not None]

    async def signal_exists(self, organization_id: int, signal_id: int) -> bool:
        params = {"organization_id": organization_id, "signal_id": signal_id}
        return bool(await self._rows(queries.SIGNAL_EXISTS, params))

    async def asset_exists(self, organization_id: int, asset_id: int) -> bool:
        params = {"organization_id": organization_id, "asset_id": asset_id}
        return bool(await self._rows(queries.ASSET_EXISTS, params))
