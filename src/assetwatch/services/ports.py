"""What the use cases need from storage. `assetwatch.db` implements these; unit tests use fakes.

Two kinds of port, and the types keep them apart: a `UnitOfWork` holds the aggregates'
repositories and is one transaction; a `TelemetryStore` runs telemetry statements, each atomic
by itself and committed as it runs, outside any unit of work.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

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


class OrganizationRepository(Protocol):
    async def add(self, organization: Organization) -> None: ...
    async def get(self, organization_id: int) -> Organization | None: ...
    async def get_by_slug(self, slug: str) -> Organization | None: ...


class ApiKeyRepository(Protocol):
    async def add(self, key: ApiKey) -> None: ...
    async def get(self, organization_id: int, key_id: int) -> ApiKey | None: ...
    async def get_by_prefix(self, prefix: str) -> ApiKey | None: ...
    async def list(
        self, organization_id: int, *, after_id: int | None, limit: int
    ) -> Sequence[ApiKey]: ...


class AssetRepository(Protocol):
    async def add(self, asset: Asset) -> None: ...
    async def get(self, organization_id: int, asset_id: int) -> Asset | None:
        """The asset with its signals loaded, or None (absent or another organisation's)."""
        ...

    async def list(
        self,
        organization_id: int,
        *,
        kind: str | None,
        name_prefix: str | None,
        tag: str | None,
        after_id: int | None,
        limit: int,
    ) -> Sequence[Asset]: ...
    async def delete(self, organization_id: int, asset_id: int) -> bool: ...


class SignalRepository(Protocol):
    async def get(self, organization_id: int, signal_id: int) -> Signal | None: ...
    async def list(
        self, organization_id: int, asset_id: int, *, after_id: int | None, limit: int
    ) -> Sequence[Signal]: ...
    async def delete(self, organization_id: int, signal_id: int) -> bool: ...


class UnitOfWork(Protocol):
    """One transaction over the aggregates (organisations, keys, assets with their signals).

    Leaving the block without `commit()` rolls everything back. Telemetry is not here: its
    statements commit one by one (`TelemetryStore`), so no unit of work could undo them."""

    @property
    def organizations(self) -> OrganizationRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def assets(self) -> AssetRepository: ...
    @property
    def signals(self) -> SignalRepository: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None:
        """Make the work durable; a uniqueness clash raises `Conflict`."""
        ...


class TelemetryStore(Protocol):
    """Telemetry, the hot paths: one set-based statement a call, rows rather than entities.

    Each call commits by itself (no transaction spans two calls) and checks tenancy inside its
    own statement: a signal or asset of another organisation reads as none at all."""

    async def write(self, organization_id: int, points: Points) -> set[int]:
        """Upsert the points and move each signal's latest point forward, in one statement;
        unless some points' signals are not the organisation's: then nothing is written and
        their ids are returned."""
        ...

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
        """Points of the signal in `[start, end)`; none when it is not the organisation's."""
        ...

    async def rollups(
        self,
        organization_id: int,
        signal_id: int,
        *,
        start: datetime,
        end: datetime,
        bucket: timedelta,
    ) -> Sequence[Rollup]:
        """Non-empty buckets in `[start, end)`; none when the signal is not the organisation's."""
        ...

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
        """Each of the asset's signals (those in `signal_ids`, if given) with its non-empty
        buckets; empty when the asset is not the organisation's or has no such signal."""
        ...

    async def latest(self, organization_id: int, asset_id: int) -> Sequence[LatestPoint] | None:
        """The latest point of each signal of the asset; None when the asset is not the org's."""
        ...

    async def signal_exists(self, organization_id: int, signal_id: int) -> bool:
        """Whether the signal is the organisation's (after an empty read: none, or not yours?)."""
        ...

    async def asset_exists(self, organization_id: int, asset_id: int) -> bool:
        """Whether the asset is the organisation's."""
        ...
