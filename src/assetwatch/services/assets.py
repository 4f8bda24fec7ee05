"""Use cases on assets and their signals (the aggregate: an asset owns its signals)."""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from assetwatch.domain import Asset, FieldError, InvalidInput, NotFound, Role, Signal
from assetwatch.domain.tags import normalise_tag
from assetwatch.services.auth import Principal
from assetwatch.services.changes import apply_changes
from assetwatch.services.pagination import Page, after_id, page_by_id
from assetwatch.services.ports import UnitOfWork


async def _owned_asset(uow: UnitOfWork, caller: Principal, asset_id: int) -> Asset:
    asset = await uow.assets.get(caller.organization_id, asset_id)
    if asset is None:
        raise NotFound(f"no asset {asset_id}")
    return asset


async def _asset_exists(uow: UnitOfWork, caller: Principal, asset_id: int) -> bool:
    return await uow.assets.get(caller.organization_id, asset_id) is not None


async def create_asset(uow: UnitOfWork, caller: Principal, fields: Mapping[str, Any]) -> Asset:
    caller.require(Role.writer)
    asset = Asset(organization_id=caller.organization_id, **fields)
    async with uow:
        await uow.assets.add(asset)  # a duplicate name (any case) raises Conflict
        await uow.commit()
    return asset


async def list_assets(
    uow: UnitOfWork,
    caller: Principal,
    *,
    kind: str | None = None,
    name_prefix: str | None = None,
    tag: str | None = None,
    cursor: str | None = None,
    limit: int,
) -> Page[Asset]:
    caller.require(Role.reader)
    async with uow:
        rows = await uow.assets.list(
            caller.organization_id,
            kind=kind,
            name_prefix=name_prefix,
            tag=_tag_filter(tag),
            after_id=after_id(cursor),
            limit=limit + 1,
        )
    return page_by_id(rows, limit, lambda a: a.id)


def _tag_filter(tag: str | None) -> str | None:
    if tag is None:
        return None
    try:
        return normalise_tag(tag)
    except ValidationError as error:
        raise InvalidInput(
            "not a valid tag",
            [FieldError(("tag",), e["msg"], e["type"]) for e in error.errors()],
        ) from error


async def get_asset(uow: UnitOfWork, caller: Principal, asset_id: int) -> Asset:
    caller.require(Role.reader)
    async with uow:
        return await _owned_asset(uow, caller, asset_id)


async def update_asset(
    uow: UnitOfWork, caller: Principal, asset_id: int, changes: Mapping[str, Any]
) -> Asset:
    """Load the aggregate, assign the changes, commit: the mapping writes one UPDATE."""
    caller.require(Role.writer)
    async with uow:
        asset = await _owned_asset(uow, caller, asset_id)
        if apply_changes(asset, changes):
            asset.touch()
            await uow.commit()  # a rename onto an existing name raises Conflict
    return asset


async def delete_asset(uow: UnitOfWork, caller: Principal, asset_id: int) -> None:
    caller.require(Role.writer)
    async with uow:
        if not await uow.assets.delete(caller.organization_id, asset_id):
            raise NotFound(f"no asset {asset_id}")
        await uow.commit()


async def create_signal(
    uow: UnitOfWork, caller: Principal, asset_id: int, fields: Mapping[str, Any]
) -> Signal:
    caller.require(Role.writer)
    async with uow:
        asset = await _owned_asset(uow, caller, asset_id)
        signal = asset.add_signal(Signal(**fields))  # duplicate name (any case) → Conflict
        await uow.commit()
    return signal


async def list_signals(
    uow: UnitOfWork, caller: Principal, asset_id: int, *, cursor: str | None, limit: int
) -> Page[Signal]:
    caller.require(Role.reader)
    async with uow:
        rows = await uow.signals.list(
            caller.organization_id,
            asset_id,
            after_id=after_id(cursor),
            limit=limit + 1,
        )
        if not rows and not await _asset_exists(uow, caller, asset_id):
            raise NotFound(f"no asset {asset_id}")
    return page_by_id(rows, limit, lambda s: s.id)


async def _owned_signal(uow: UnitOfWork, caller: Principal, signal_id: int) -> Signal:
    signal = await uow.signals.get(caller.organization_id, signal_id)
    if signal is None:
        raise NotFound(f"no signal {signal_id}")
    return signal


async def get_signal(uow: UnitOfWork, caller: Principal, signal_id: int) -> Signal:
    caller.require(Role.reader)
    async with uow:
        return await _owned_signal(uow, caller, signal_id)


async def update_signal(
    uow: UnitOfWork, caller: Principal, signal_id: int, changes: Mapping[str, Any]
) -> Signal:
    caller.require(Role.writer)
    async with uow:
        signal = await _owned_signal(uow, caller, signal_id)
        if apply_changes(signal, changes):
            await uow.commit()
    return signal


async def delete_signal(uow: UnitOfWork, caller: Principal, signal_id: int) -> None:
    caller.require(Role.writer)
    async with uow:
        if not await uow.signals.delete(caller.organization_id, signal_id):
            raise NotFound(f"no signal {signal_id}")
        await uow.commit()
