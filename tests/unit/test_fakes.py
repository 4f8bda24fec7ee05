"""The fakes enforce tenancy as the database does: no statement runs without an organisation.

A use case that drops `caller.organization_id` from a read or a write must fail in the unit
suite, not pass because a fake answered with every organisation's rows.
"""

import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assetwatch.domain import Asset, Points, Role
from assetwatch.domain.api_keys import issue_key
from assetwatch.services import api_keys, assets, retention, telemetry
from assetwatch.services.auth import KeyCache
from tests.unit.fakes import (
    FakeTelemetryStore,
    FakeUnitOfWork,
    World,
    build_world,
    principal,
    state,
)

# A value for every other parameter a repository method takes, by name.
_ARGUMENTS: dict[str, Any] = {
    "asset_id": 1,
    "signal_id": 1,
    "signal_ids": None,
    "key_id": 1,
    "after_id": None,
    "limit": 10,
    "kind": None,
    "name_prefix": None,
    "tag": None,
    "points": Points([1], [datetime(2026, 11, 1, tzinfo=UTC)], [1.0]),
    "start": datetime(2026, 11, 1, tzinfo=UTC),
    "end": datetime(2026, 11, 2, tzinfo=UTC),
    "descending": False,
    "bucket": timedelta(hours=1),
}


def _methods_taking_an_organisation(
    uow: FakeUnitOfWork, telemetry: FakeTelemetryStore
) -> dict[str, Callable[..., Any]]:
    repositories = [uow.organizations, uow.api_keys, uow.assets, uow.signals, telemetry]
    return {
        f"{type(repository).__name__}.{name}": method
        for repository in repositories
        for name, method in inspect.getmembers(repository, inspect.ismethod)
        if not name.startswith("_") and "organization_id" in inspect.signature(method).parameters
    }


@pytest.fixture
async def world() -> World:
    return await build_world()


_UOW = FakeUnitOfWork()
METHODS = sorted(_methods_taking_an_organisation(_UOW, FakeTelemetryStore(_UOW.store)))


def test_every_repository_method_taking_an_organisation_is_checked() -> None:
    # At least: organisations 1, keys 2, assets 3, signals 3, telemetry 7 (a new method is
    # found by its parameter, and needs a value for its other parameters in `_ARGUMENTS`).
    assert len(METHODS) >= 16, METHODS


@pytest.mark.parametrize("name", METHODS)
async def test_every_repository_method_refuses_a_missing_organisation(
    world: World, name: str
) -> None:
    method = _methods_taking_an_organisation(world.uow, world.telemetry)[name]
    parameters = list(inspect.signature(method).parameters)
    arguments = {p: _ARGUMENTS[p] for p in parameters if p != "organization_id"}
    with pytest.raises(TypeError, match="organisation id is required"):
        await method(None, **arguments)
    await method(world.org, **arguments)  # the same call with one is answered


async def test_the_store_refuses_to_list_signals_without_an_organisation(world: World) -> None:
    with pytest.raises(TypeError):
        world.store.signals(None)  # type: ignore[arg-type]
    assert len(world.store.signals(world.org)) == 2
    assert len(world.store.all_signals()) == 3


async def test_an_asset_without_an_organisation_is_not_stored(world: World) -> None:
    with pytest.raises(TypeError):
        await world.uow.assets.add(Asset(name="Orphan"))  # the column is NOT NULL
    assert [a.name for a in world.store.assets.values()] == ["Tractor", "Rival"]


# Each use case that reads or writes an organisation's rows, called by a caller whose
# organisation was dropped (what a mutant that forgets `caller.organization_id` would pass).
# Not `create_key`: the domain's `ApiKey` itself refuses a key without an organisation.
UseCase = Callable[[World, Any], Awaitable[object]]
USE_CASES: dict[str, UseCase] = {
    "list assets": lambda w, c: assets.list_assets(w.uow, c, cursor=None, limit=10),
    "get asset": lambda w, c: assets.get_asset(w.uow, c, w.asset_id),
    "update asset": lambda w, c: assets.update_asset(w.uow, c, w.asset_id, {"kind": "x"}),
    "delete asset": lambda w, c: assets.delete_asset(w.uow, c, w.asset_id),
    "create asset": lambda w, c: assets.create_asset(w.uow, c, {"name": "New"}),
    "create signal": lambda w, c: assets.create_signal(w.uow, c, w.asset_id, {"name": "rpm"}),
    "list signals": lambda w, c: assets.list_signals(w.uow, c, w.asset_id, cursor=None, limit=10),
    "get signal": lambda w, c: assets.get_signal(w.uow, c, w.temp_id),
    "update signal": lambda w, c: assets.update_signal(w.uow, c, w.temp_id, {"unit": "K"}),
    "delete signal": lambda w, c: assets.delete_signal(w.uow, c, w.temp_id),
    "list keys": lambda w, c: api_keys.list_keys(w.uow, c, cursor=None, limit=10),
    "revoke key": lambda w, c: api_keys.revoke_key(w.uow, c, max(w.store.api_keys), KeyCache(1)),
    "ingest": lambda w, c: telemetry.ingest(
        w.telemetry,
        c,
        Points([w.temp_id], [datetime(2026, 11, 1, tzinfo=UTC)], [1.0]),
        max_future=timedelta(minutes=5),
    ),
    "readings": lambda w, c: telemetry.readings(
        w.telemetry, c, w.temp_id, start=None, end=None, descending=False, limit=10, cursor=None
    ),
    "rollups": lambda w, c: telemetry.rollups(
        w.telemetry,
        c,
        w.temp_id,
        bucket="1h",
        start=datetime(2026, 11, 1, tzinfo=UTC),
        end=datetime(2026, 11, 2, tzinfo=UTC),
    ),
    "asset rollups": lambda w, c: telemetry.asset_rollups(
        w.telemetry,
        c,
        w.asset_id,
        bucket="1h",
        start=datetime(2026, 11, 1, tzinfo=UTC),
        end=datetime(2026, 11, 2, tzinfo=UTC),
        signal_ids=None,
    ),
    "latest": lambda w, c: telemetry.latest(w.telemetry, c, w.asset_id),
    "get retention": lambda w, c: retention.get_retention(w.uow, c, 90),
    "set retention": lambda w, c: retention.set_retention(w.uow, c, 7, default_days=90),
}


async def _world_with_a_key() -> World:
    world = await build_world()
    await world.uow.api_keys.add(issue_key(world.org, "k", Role.reader).key)
    return world


@pytest.mark.parametrize("use_case", USE_CASES.values(), ids=USE_CASES.keys())
async def test_a_use_case_without_the_callers_organisation_fails(use_case: UseCase) -> None:
    world = await _world_with_a_key()
    await use_case(world, principal(world.org, Role.admin))  # answered with one
    world = await _world_with_a_key()
    before = state(world.store)
    with pytest.raises(TypeError, match="organisation id is required"):
        await use_case(world, principal(None, Role.admin))  # type: ignore[arg-type]
    assert state(world.store) == before
