"""In-memory implementations of `assetwatch.services.ports`, for unit tests.

As in `assetwatch.db`, the unit of work holds the aggregates (and rolls them back when left
without a commit) while telemetry has a store of its own whose writes no unit of work undoes.
They keep the same rules the database enforces (ids, case-insensitive unique names, cascades,
tenancy), so a service tested against them behaves the same against PostgreSQL. Every method that
takes an organisation id, or stores an entity that has one, refuses a missing one (`tenant`): a
use case that drops the caller's organisation fails here rather than reading every tenant's rows.
"""

import copy
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

from assetwatch.domain import (
    ApiKey,
    Asset,
    Conflict,
    LatestPoint,
    Organization,
    Points,
    Reading,
    Role,
    Rollup,
    Signal,
)
from assetwatch.domain.readings import BUCKET_ORIGIN
from assetwatch.services.auth import Principal
from assetwatch.services.ports import TelemetryStore, UnitOfWork

_NAME_TAKEN = "a resource with that name already exists"


def tenant(organization_id: object) -> int:
    """The organisation id a statement filters by; TypeError when there is none (None, a bool)."""
    if isinstance(organization_id, bool) or not isinstance(organization_id, int):
        raise TypeError(f"an organisation id is required, not {organization_id!r}")
    return organization_id


class FakeStore:
    """The 'database': survives units of work; each unit works on it directly."""

    def __init__(self) -> None:
        self.organizations: dict[int, Organization] = {}
        self.api_keys: dict[int, ApiKey] = {}
        self.assets: dict[int, Asset] = {}
        # The measurements table: (signal_id, ts) → value, ts in UTC.
        self.measurements: dict[tuple[int, datetime], float] = {}
        self.last_id = 0

    def next_id(self) -> int:
        self.last_id += 1
        return self.last_id

    def signals(self, organization_id: int) -> list[tuple[Asset, Signal]]:
        """An organisation's (asset, signal) pairs: the real queries' tenancy filter."""
        tenant(organization_id)
        return [(a, s) for a, s in self.all_signals() if a.organization_id == organization_id]

    def all_signals(self) -> list[tuple[Asset, Signal]]:
        """Every organisation's (asset, signal) pairs: for the store itself and assertions."""
        return [(a, s) for a in self.assets.values() for s in a.signals]

    def drop_measurements(self, signal_ids: Collection[int | None]) -> None:
        """What the trigger on signals does: a deleted signal's points go with it."""
        for key in [k for k in self.measurements if k[0] in signal_ids]:
            del self.measurements[key]


T = TypeVar("T", ApiKey, Asset, Signal)


def _page(items: Sequence[T], after_id: int | None, limit: int) -> list[T]:
    ordered = sorted(items, key=lambda i: i.id or 0)
    return [i for i in ordered if after_id is None or (i.id or 0) > after_id][:limit]


class FakeOrganizationRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, organization: Organization) -> None:
        if await self.get_by_slug(organization.slug):
            raise Conflict(_NAME_TAKEN)
        organization.id = self.store.next_id()
        self.store.organizations[organization.id] = organization

    async def get(self, organization_id: int) -> Organization | None:
        return self.store.organizations.get(tenant(organization_id))

    async def get_by_slug(self, slug: str) -> Organization | None:
        return next((o for o in self.store.organizations.values() if o.slug == slug.lower()), None)


class FakeApiKeyRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.prefix_lookups = 0  # what the key cache is there to save

    async def add(self, key: ApiKey) -> None:
        tenant(key.organization_id)  # NOT NULL in the table
        key.id = self.store.next_id()
        self.store.api_keys[key.id] = key

    async def get(self, organization_id: int, key_id: int) -> ApiKey | None:
        tenant(organization_id)
        key = self.store.api_keys.get(key_id)
        return key if key and key.organization_id == organization_id else None

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        self.prefix_lookups += 1
        return next((k for k in self.store.api_keys.values() if k.prefix == prefix), None)

    async def list(
        self, organization_id: int, *, after_id: int | None, limit: int
    ) -> Sequence[ApiKey]:
        tenant(organization_id)
        mine = [k for k in self.store.api_keys.values() if k.organization_id == organization_id]
        return _page(mine, after_id, limit)


class FakeAssetRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, asset: Asset) -> None:
        tenant(asset.organization_id)  # NOT NULL in the table
        if any(
            a.organization_id == asset.organization_id
            and a.name.casefold() == asset.name.casefold()
            for a in self.store.assets.values()
        ):
            raise Conflict(_NAME_TAKEN)
        asset.id = self.store.next_id()
        for signal in asset.signals:
            signal.id, signal.asset_id = self.store.next_id(), asset.id
        self.store.assets[asset.id] = asset

    async def get(self, organization_id: int, asset_id: int) -> Asset | None:
        tenant(organization_id)
        asset = self.store.assets.get(asset_id)
        return asset if asset and asset.organization_id == organization_id else None

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
        tenant(organization_id)
        mine = [
            a
            for a in self.store.assets.values()
            if a.organization_id == organization_id
            and (kind is None or a.kind == kind)
            and (not name_prefix or a.name.casefold().startswith(name_prefix.casefold()))
            and (tag is None or tag in a.tags)
        ]
        return _page(mine, after_id, limit)

    async def delete(self, organization_id: int, asset_id: int) -> bool:
        asset = await self.get(organization_id, asset_id)
        if asset is None:
            return False
        del self.store.assets[asset_id]
        self.store.drop_measurements({s.id for s in asset.signals})
        return True


class FakeSignalRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def get(self, organization_id: int, signal_id: int) -> Signal | None:
        return next((s for _, s in self.store.signals(organization_id) if s.id == signal_id), None)

    async def list(
        self, organization_id: int, asset_id: int, *, after_id: int | None, limit: int
    ) -> Sequence[Signal]:
        mine = [s for a, s in self.store.signals(organization_id) if a.id == asset_id]
        return _page(mine, after_id, limit)

    async def delete(self, organization_id: int, signal_id: int) -> bool:
        for asset, signal in self.store.signals(organization_id):
            if signal.id == signal_id:
                asset.signals = [s for s in asset.signals if s.id != signal_id]
                self.store.drop_measurements({signal_id})
                return True
        return False


def _utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC)


class FakeTelemetryStore:
    """The rules of `assetwatch.db.telemetry_store`: upsert by (signal, ts), latest point only
    forward, half-open ranges, buckets aligned on `BUCKET_ORIGIN` like `date_bin`; each call
    takes effect at once (no unit of work), a batch with an unknown signal not at all."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.writes = 0  # statements: the real store writes a batch in one

    async def write(self, organization_id: int, points: Points) -> set[int]:
        self.writes += 1
        signals = {s.id: s for _, s in self.store.signals(organization_id)}
        unknown = set(points.signal_ids) - self._owned(organization_id)
        if unknown:
            return unknown  # and nothing is written
        newest: dict[int, tuple[datetime, float]] = {}
        for signal_id, ts, value in zip(
            points.signal_ids, points.stamps, points.values, strict=True
        ):
            self.store.measurements[(signal_id, _utc(ts))] = value
            held = newest.get(signal_id)
            if held is None or ts > held[0]:
                newest[signal_id] = (ts, value)
        for signal_id, (ts, value) in newest.items():
            signal = signals[signal_id]
            if signal.last_ts is None or signal.last_ts <= ts:
                signal.last_ts, signal.last_value = _utc(ts), value
        return set()

    def _window(
        self, signal_id: int, start: datetime | None, end: datetime | None
    ) -> list[tuple[datetime, float]]:
        return sorted(
            (ts, value)
            for (sid, ts), value in self.store.measurements.items()
            if sid == signal_id and (start is None or ts >= start) and (end is None or ts < end)
        )

    def _owned(self, organization_id: int) -> set[int | None]:
        return {s.id for _, s in self.store.signals(organization_id)}

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
        if signal_id not in self._owned(organization_id):
            return []
        rows = self._window(signal_id, start, end)
        if descending:
            rows.reverse()
        return [Reading(ts=ts, value=value) for ts, value in rows[:limit]]

    async def rollups(
        self,
        organization_id: int,
        signal_id: int,
        *,
        start: datetime,
        end: datetime,
        bucket: timedelta,
    ) -> Sequence[Rollup]:
        if signal_id not in self._owned(organization_id):
            return []
        buckets: dict[datetime, list[float]] = {}
        for ts, value in self._window(signal_id, start, end):
            bucket_start = BUCKET_ORIGIN + ((ts - BUCKET_ORIGIN) // bucket) * bucket
            buckets.setdefault(bucket_start, []).append(value)
        return [
            Rollup(b, len(values), min(values), max(values), sum(values) / len(values))
            for b, values in sorted(buckets.items())
        ]

    async def asset_rollups(
        self,
        organization_id: int,
        asset_id: int,
        *,
        signal_ids: Sequence[int] | None,
        start: datetime,
        end: datetime,
        bucket: timedelta,
    ) -> dict[int, Sequence[Rollup]]:
        tenant(organization_id)
        series: dict[int, Sequence[Rollup]] = {}
        for asset, signal in self.store.signals(organization_id):
            if asset.id != asset_id or signal.id is None:
                continue
            if signal_ids is not None and signal.id not in signal_ids:
                continue
            series[signal.id] = list(
                await self.rollups(organization_id, signal.id, start=start, end=end, bucket=bucket)
            )
        return series

    async def latest(self, organization_id: int, asset_id: int) -> Sequence[LatestPoint] | None:
        tenant(organization_id)
        asset = self.store.assets.get(asset_id)
        if asset is None or asset.organization_id != organization_id:
            return None
        return [
            LatestPoint(s.id, s.name, s.unit, s.last_ts, s.last_value)
            for s in sorted(asset.signals, key=lambda s: s.id or 0)
            if s.id is not None
        ]

    async def signal_exists(self, organization_id: int, signal_id: int) -> bool:
        return signal_id in self._owned(organization_id)

    async def asset_exists(self, organization_id: int, asset_id: int) -> bool:
        tenant(organization_id)
        asset = self.store.assets.get(asset_id)
        return asset is not None and asset.organization_id == organization_id


class FakeUnitOfWork:
    """Like the real one: leaving the block without `commit()` undoes the unit's changes to the
    aggregates."""

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
        """Flush like the database: unique names (any case) hold, new signals get their ids.

        A clash raises `Conflict` and keeps the snapshot, so leaving the block rolls back.
        """
        assets = list(self.store.assets.values())
        _check_unique((a.organization_id, a.name.casefold()) for a in assets)
        for asset in assets:
            _check_unique(s.name.casefold() for s in asset.signals)
            for signal in asset.signals:
                if signal.id is None:
                    signal.id, signal.asset_id = self.store.next_id(), asset.id
        self.commits += 1
        self._snapshot = None


def _check_unique(keys: Iterable[Hashable]) -> None:
    seen: set[Hashable] = set()
    for key in keys:
        if key in seen:
            raise Conflict(_NAME_TAKEN)
        seen.add(key)


def _conforms(uow: FakeUnitOfWork) -> UnitOfWork:
    """mypy checks that the fake satisfies the protocol the services use."""
    return uow


def _conforms_too(store: FakeTelemetryStore) -> TelemetryStore:
    return store


# --- test data -----------------------------------------------------------------------------------


def principal(organization_id: int, role: Role, key_id: int = 1) -> Principal:
    """A caller as `authenticate` would return it, without going through a key."""
    return Principal(organization_id=organization_id, key_id=key_id, role=role)


async def seed_organization(uow: FakeUnitOfWork, slug: str) -> int:
    """Straight into the store (no unit of work, no service): test setup, not a use case."""
    organization = Organization(slug=slug, name=slug.title())
    await uow.organizations.add(organization)
    assert organization.id is not None
    return organization.id


async def seed_asset(
    uow: FakeUnitOfWork, organization_id: int, name: str, *signals: str, kind: str = "generic"
) -> Asset:
    """An asset and its signals, with ids, straight into the store."""
    asset = Asset(
        organization_id=organization_id,
        name=name,
        kind=kind,
        signals=[Signal(name=s, unit="u") for s in signals],
    )
    await uow.assets.add(asset)
    return asset


def state(store: FakeStore) -> dict[str, Any]:
    """Everything the store holds, as plain data: equal before and after means nothing changed."""
    return {
        "organizations": {k: v.model_dump() for k, v in store.organizations.items()},
        "api_keys": {k: v.model_dump() for k, v in store.api_keys.items()},
        "assets": {k: v.model_dump() for k, v in store.assets.items()},
        "measurements": dict(store.measurements),
        "last_id": store.last_id,
    }


@dataclass(frozen=True)
class World:
    """Two organisations. Mine: asset "Tractor" with signals "temp" and "fuel". Theirs: asset
    "Rival" with signal "temp". Ids only: objects read from the store go stale on a rollback."""

    uow: FakeUnitOfWork
    telemetry: FakeTelemetryStore  # on the same store as `uow`
    org: int
    other_org: int
    asset_id: int
    temp_id: int
    fuel_id: int
    other_asset_id: int
    other_signal_id: int

    def caller(self, role: Role = Role.admin) -> Principal:
        return principal(self.org, role)

    def outsider(self, role: Role = Role.admin) -> Principal:
        return principal(self.other_org, role, key_id=2)

    @property
    def store(self) -> FakeStore:
        return self.uow.store

    def signal(self, signal_id: int) -> Signal:
        """The stored signal (fresh from the store, for assertions)."""
        return next(s for _, s in self.store.all_signals() if s.id == signal_id)


async def build_world() -> World:
    uow = FakeUnitOfWork()
    org, other_org = await seed_organization(uow, "acme"), await seed_organization(uow, "rival")
    mine = await seed_asset(uow, org, "Tractor", "temp", "fuel", kind="tractor")
    theirs = await seed_asset(uow, other_org, "Rival", "temp")
    ids = [mine.id, *(s.id for s in mine.signals), theirs.id, *(s.id for s in theirs.signals)]
    assert all(i is not None for i in ids)
    asset_id, temp_id, fuel_id, other_asset_id, other_signal_id = (i or 0 for i in ids)
    return World(
        uow,
        FakeTelemetryStore(uow.store),
        org,
        other_org,
        asset_id,
        temp_id,
        fuel_id,
        other_asset_id,
        other_signal_id,
    )
