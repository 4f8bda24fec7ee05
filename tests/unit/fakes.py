"""In-memory implementations of `assetwatch.services.ports`, for unit tests.

They keep the same rules the database enforces (ids, case-insensitive unique names, cascades,
tenancy), so a service tested against them behaves the same against PostgreSQL.
"""

import copy
from collections.abc import Sequence
from types import TracebackType
from typing import Self, TypeVar

from assetwatch.domain import ApiKey, Asset, Conflict, Organization, Signal
from assetwatch.services.ports import UnitOfWork


class FakeStore:
    """The 'database': survives units of work; each unit works on it directly."""

    def __init__(self) -> None:
        self.organizations: dict[int, Organization] = {}
        self.api_keys: dict[int, ApiKey] = {}
        self.assets: dict[int, Asset] = {}
        self.last_id = 0

    def next_id(self) -> int:
        self.last_id += 1
        return self.last_id


T = TypeVar("T", ApiKey, Asset, Signal)


def _page(items: Sequence[T], after_id: int | None, limit: int) -> list[T]:
    ordered = sorted(items, key=lambda i: i.id or 0)
    return [i for i in ordered if after_id is None or (i.id or 0) > after_id][:limit]


class FakeOrganizationRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, organization: Organization) -> None:
        if await self.get_by_slug(organization.slug):
            raise Conflict("a resource with that name already exists")
        organization.id = self.store.next_id()
        self.store.organizations[organization.id] = organization

    async def get_by_slug(self, slug: str) -> Organization | None:
        return next((o for o in self.store.organizations.values() if o.slug == slug.lower()), None)


class FakeApiKeyRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, key: ApiKey) -> None:
        key.id = self.store.next_id()
        self.store.api_keys[key.id] = key

    async def get(self, organization_id: int, key_id: int) -> ApiKey | None:
        key = self.store.api_keys.get(key_id)
        return key if key and key.organization_id == organization_id else None

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        return next((k for k in self.store.api_keys.values() if k.prefix == prefix), None)

    async def list(self, organization_id: int, *, after_id: int | None, limit: int) -> Sequence[ApiKey]:
        mine = [k for k in self.store.api_keys.values() if k.organization_id == organization_id]
        return _page(mine, after_id, limit)


class FakeAssetRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, asset: Asset) -> None:
        if any(
            a.organization_id == asset.organization_id and a.name.casefold() == asset.name.casefold()
            for a in self.store.assets.values()
        ):
            raise Conflict("a resource with that name already exists")
        asset.id = self.store.next_id()
        for signal in asset.signals:
            signal.id, signal.asset_id = self.store.next_id(), asset.id
        self.store.assets[asset.id] = asset

    async def get(self, organization_id: int, asset_id: int) -> Asset | None:
        asset = self.store.assets.get(asset_id)
        return asset if asset and asset.organization_id == organization_id else None

    async def list(
        self,
        organization_id: int,
        *,
        kind: str | None,
        name_prefix: str | None,
        after_id: int | None,
        limit: int,
    ) -> Sequence[Asset]:
        mine = [
            a
            for a in self.store.assets.values()
            if a.organization_id == organization_id
            and (kind is None or a.kind == kind)
            and (not name_prefix or a.name.casefold().startswith(name_prefix.casefold()))
        ]
        return _page(mine, after_id, limit)

    async def delete(self, organization_id: int, asset_id: int) -> bool:
        if await self.get(organization_id, asset_id) is None:
            return False
        del self.store.assets[asset_id]
        return True


class FakeSignalRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def _owned(self, organization_id: int) -> list[tuple[Asset, Signal]]:
        return [
            (a, s)
            for a in self.store.assets.values()
            if a.organization_id == organization_id
            for s in a.signals
        ]

    async def get(self, organization_id: int, signal_id: int) -> Signal | None:
        return next((s for _, s in self._owned(organization_id) if s.id == signal_id), None)

    async def list(
        self, organization_id: int, asset_id: int, *, after_id: int | None, limit: int
    ) -> Sequence[Signal]:
        mine = [s for a, s in self._owned(organization_id) if a.id == asset_id]
        return _page(mine, after_id, limit)

    async def delete(self, organization_id: int, signal_id: int) -> bool:
        for asset, signal in self._owned(organization_id):
            if signal.id == signal_id:
                asset.signals = [s for s in asset.signals if s.id != signal_id]
                return True
        return False


class FakeUnitOfWork:
    """Like the real one: leaving the block without `commit()` undoes the unit's changes."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()
        self.organizations = FakeOrganizationRepository(self.store)
        self.api_keys = FakeApiKeyRepository(self.store)
        self.assets = FakeAssetRepository(self.store)
        self.signals = FakeSignalRepository(self.store)
        self.commits = 0
        self._snapshot: dict[str, object] | None = None

    async def __aenter__(self) -> Self:
        self._snapshot = copy.deepcopy(vars(self.store))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._snapshot is not None:  # left without a commit: roll back
            vars(self.store).update(self._snapshot)
            self._snapshot = None

    async def commit(self) -> None:
        self.commits += 1
        self._snapshot = None


def _conforms(uow: FakeUnitOfWork) -> UnitOfWork:
    """mypy checks that the fake satisfies the protocol the services use."""
    return uow
