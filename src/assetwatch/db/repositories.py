"""The aggregates' repositories: the domain classes through the imperative mappers, on the
unit of work's `AsyncSession` (telemetry has its own store: `telemetry_store`)."""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningDelete

from assetwatch.db import tables
from assetwatch.db.errors import translated_errors
from assetwatch.domain import ApiKey, Asset, Organization, Signal

T = TypeVar("T")


class _SessionRepository:
    """Every statement goes through the methods below, which raise domain errors only."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _add(self, entity: object) -> None:
        """Add and flush, so the caller gets database ids and hears of a clash at once."""
        self.session.add(entity)
        async with translated_errors():
            await self.session.flush()

    async def _one_or_none(self, stmt: Select[T]) -> T | None:
        async with translated_errors():
            return (await self.session.scalars(stmt)).one_or_none()

    async def _all(self, stmt: Select[T]) -> Sequence[T]:
        async with translated_errors():
            return (await self.session.scalars(stmt)).all()

    async def _deleted(self, stmt: ReturningDelete[int]) -> bool:
        """Run a `DELETE … RETURNING id`: whether it deleted a row."""
        async with translated_errors():
            return (await self.session.execute(stmt)).first() is not None


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
        return await self._one_or_none(stmt)

    async def get_by_slug(self, slug: str) -> Organization | None:
        stmt = select(Organization).where(tables.organizations.c.slug == slug)
        return await self._one_or_none(stmt)


class SqlApiKeyRepository(_SessionRepository):
    async def add(self, key: ApiKey) -> None:
        await self._add(key)

    async def get(self, organization_id: int, key_id: int) -> ApiKey | None:
        keys = tables.api_keys.c
        stmt = select(ApiKey).where(keys.id == key_id, keys.organization_id == organization_id)
        return await self._one_or_none(stmt)

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        stmt = select(ApiKey).where(tables.api_keys.c.prefix == prefix)
        return await self._one_or_none(stmt)

    async def list(
        self, organization_id: int, *, after_id: int | None, limit: int
    ) -> Sequence[ApiKey]:
        keys = tables.api_keys.c
        stmt = _page(
            select(ApiKey).where(keys.organization_id == organization_id), keys.id, after_id, limit
        )
        return await self._all(stmt)


class SqlAssetRepository(_SessionRepository):
    async def add(self, asset: Asset) -> None:
        await self._add(asset)

    async def get(self, organization_id: int, asset_id: int) -> Asset | None:
        assets = tables.assets.c
        stmt = select(Asset).where(assets.id == asset_id, assets.organization_id == organization_id)
        return await self._one_or_none(stmt)

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
        return await self._all(stmt)

    async def delete(self, organization_id: int, asset_id: int) -> bool:
        """One statement; its signals go with it (ON DELETE CASCADE), and their measurements
        (the trigger on signals, migration 0004)."""
        assets = tables.assets.c
        stmt = (
            delete(tables.assets)
            .where(assets.id == asset_id, assets.organization_id == organization_id)
            .returning(assets.id)
        )
        return await self._deleted(stmt)


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
        return await self._one_or_none(stmt)

    async def list(
        self, organization_id: int, asset_id: int, *, after_id: int | None, limit: int
    ) -> Sequence[Signal]:
        signals = tables.signals.c
        stmt = _signals_of_organization(organization_id).where(signals.asset_id == asset_id)
        return await self._all(_page(stmt, signals.id, after_id, limit))

    async def delete(self, organization_id: int, signal_id: int) -> bool:
        signals, assets = tables.signals.c, tables.assets.c
        owned = select(assets.id).where(assets.organization_id == organization_id)
        stmt = (
            delete(tables.signals)
            .where(signals.id == signal_id, signals.asset_id.in_(owned.scalar_subquery()))
            .returning(signals.id)
        )
        return await self._deleted(stmt)
