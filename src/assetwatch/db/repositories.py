"""Repositories: aggregates through the imperative mappers on an `AsyncSession`; the hot paths
on a pooled driver connection."""

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from psycopg import AsyncConnection
from sqlalchemy import ColumnElement, Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from assetwatch.db import queries, tables, telemetry_merge, telemetry_reads
from assetwatch.db.errors import translated_integrity_errors
from assetwatch.domain import (
    ApiKey,
    Asset,
    LatestPoint,
    Organization,
    Points,
    Reading,
    Rollup,
    Signal,
)
from assetwatch.domain.measurements import EARLIEST
from assetwatch.observability import count_statement


class _SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _add(self, entity: object) -> None:
        """Add and flush, so the caller gets database ids and hears of a clash at once."""
        self.session.add(entity)
        async with translated_integrity_errors():
            await self.session.flush()


T = TypeVar("T")


def _page(
    stmt: Select[T], id_column: ColumnElement[Any], after_id: int | None, limit: int
) -> Select[T]:
    """Keyset pagination on a monotonic id: `WHERE id > :after ORDER BY id LIMIT :limit`."""
    if after_id is not None:
        stmt = stmt.where(id_column > after_id)
    return stmt.order_by(id_column).limit(limit)


class SqlOrganizationRepository(_SessionRepository):
    async def add(self, organization: Organization) -> None:
        await self._add(organization)

    async def get(self, organization_id: int) -> Organization | None:
        stmt = select(Organization).where(tables.organizations.c.id == organization_id)
        return (await self.session.scalars(stmt)).one_or_none()

    async def get_by_slug(self, slug: str) -> Organization | None:
        stmt = select(Organization).where(tables.organizations.c.slug == slug)
        return (await self.session.scalars(stmt)).one_or_none()


class SqlApiKeyRepository(_SessionRepository):
    async def add(self, key: ApiKey) -> None:
        await self._add(key)

    async def get(self, organization_id: int, key_id: int) -> ApiKey | None:
        keys = tables.api_keys.c
        stmt = select(ApiKey).where(keys.id == key_id, keys.organization_id == organization_id)
        return (await self.session.scalars(stmt)).one_or_none()

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        stmt = select(ApiKey).where(tables.api_keys.c.prefix == prefix)
        return (await self.session.scalars(stmt)).one_or_none()

    async def list(
        self, organization_id: int, *, after_id: int | None, limit: int
    ) -> Sequence[ApiKey]:
        keys = tables.api_keys.c
        stmt = _page(
            select(ApiKey).where(keys.organization_id == organization_id), keys.id, after_id, limit
        )
        return (await self.session.scalars(stmt)).all()


class SqlAssetRepository(_SessionRepository):
    async def add(self, asset: Asset) -> None:
        await self._add(asset)

    async def get(self, organization_id: int, asset_id: int) -> Asset | None:
        assets = tables.assets.c
        stmt = select(Asset).where(assets.id == asset_id, assets.organization_id == organization_id)
        return (await self.session.scalars(stmt)).one_or_none()

    async def list(
        self,
        organization_id: int,
        *,
        kind: str | None,
        name_prefix: str | None,
        tag: str | None,
        after_id: int | None,
        limit: int,
    ) -> Sequence[Asset]:
        assets = tables.assets.c
        stmt = select(Asset).where(assets.organization_id == organization_id)
        if kind is not None:
            stmt = stmt.where(assets.kind == kind)
        if name_prefix:
            # citext makes LIKE case-insensitive; escape the pattern's own wildcards.
            stmt = stmt.where(assets.name.startswith(name_prefix, autoescape=True))
        if tag is not None:
            stmt = stmt.where(assets.tags.contains([tag]))  # `tags @> ARRAY[:tag]`: the GIN index
        stmt = _page(stmt, assets.id, after_id, limit)
        return (await self.session.scalars(stmt)).all()

    async def delete(self, organization_id: int, asset_id: int) -> bool:
        """One statement; its signals go with it (ON DELETE CASCADE), and their measurements
        (the trigger on signals, migration 0004)."""
        assets = tables.assets.c
        stmt = (
            delete(tables.assets)
            .where(assets.id == asset_id, assets.organization_id == organization_id)
            .returning(assets.id)
        )
        return (await self.session.execute(stmt)).first() is not None


def _signals_of_organization(organization_id: int) -> Select[Signal]:
    signals, assets = tables.signals.c, tables.assets.c
    return (
        select(Signal)
        .join(tables.assets, assets.id == signals.asset_id)
        .where(assets.organization_id == organization_id)
    )


class SqlSignalRepository(_SessionRepository):
    async def get(self, organization_id: int, signal_id: int) -> Signal | None:
        stmt = _signals_of_organization(organization_id).where(tables.signals.c.id == signal_id)
        return (await self.session.scalars(stmt)).one_or_none()

    async def list(
        self, organization_id: int, asset_id: int, *, after_id: int | None, limit: int
    ) -> Sequence[Signal]:
        signals = tables.signals.c
        stmt = _signals_of_organization(organization_id).where(signals.asset_id == asset_id)
        return (await self.session.scalars(_page(stmt, signals.id, after_id, limit))).all()

    async def delete(self, organization_id: int, signal_id: int) -> bool:
        signals, assets = tables.signals.c, tables.assets.c
        owned = select(assets.id).where(assets.organization_id == organization_id)
        stmt = (
            delete(tables.signals)
            .where(signals.id == signal_id, signals.asset_id.in_(owned.scalar_subquery()))
            .returning(signals.id)
        )
        return (await self.session.execute(stmt)).first() is not None


class Connections(Protocol):
    """Where the hot paths borrow a driver connection: the process's pool (in autocommit)."""

    def connection(self) -> AbstractAsyncContextManager[AsyncConnection[Any]]: ...


class SqlMeasurementRepository:
    """The hot paths: statements from `queries`, compiled once, run on a pooled driver
    connection in autocommit (each is atomic by itself). No session, no ORM, no BEGIN/COMMIT:
    on a read that is most of the cost SQLAlchemy would add."""

    def __init__(self, connections: Connections) -> None:
        self._connections = connections

    async def _rows(self, statement: queries.Compiled, params: dict[str, Any]) -> list[Any]:
        count_statement()
        async with self._connections.connection() as conn:
            cursor = await conn.execute(
                statement.sql, statement.params(params), prepare=statement.generic
            )
            return await cursor.fetchall()

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
        return telemetry_merge.merge_readings(rows, low, high, descending=descending, limit=limit)

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
        return telemetry_merge.merge_rollups(rows, start, end, bucket).get(signal_id, [])

    async def asset_rollups(
        self,
        organization_id: int,
        asset_id: int,
        *,
        signal_ids: Sequence[int] | None,
        start: datetime,
        end: datetime,
        bucket: timedelta,
    ) -> dict[int, list[Rollup]]:
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
