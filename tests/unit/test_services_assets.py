"""Use cases on assets and their signals: names, PATCH semantics, tenancy, roles."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from assetwatch.domain import (
    Conflict,
    InvalidInput,
    Measurement,
    NotFound,
    PermissionDenied,
    Points,
    Role,
)
from assetwatch.services import assets
from assetwatch.services.auth import Principal
from tests.unit.fakes import World, build_world, state

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
async def world() -> World:
    return await build_world()


def _names(items: list[Any]) -> list[str]:
    return [i.name for i in items]


# --- assets: create, names ---------------------------------------------------------------------


async def test_creating_an_asset_stores_it_in_the_callers_organisation(world: World) -> None:
    for caller in (world.caller(Role.writer), world.outsider(Role.writer)):
        asset = await assets.create_asset(
            world.uow, caller, {"name": "Harvester", "kind": "combine"}
        )
        assert asset.id is not None
        stored = world.store.assets[asset.id]
        assert (stored.organization_id, stored.name, stored.kind) == (
            caller.organization_id,
            "Harvester",
            "combine",
        )


@pytest.mark.parametrize("name", ["Tractor", "tractor", "TRACTOR", "  tRaCtOr "])
async def test_a_duplicate_asset_name_in_any_case_is_a_conflict(world: World, name: str) -> None:
    before = state(world.store)
    with pytest.raises(Conflict):
        await assets.create_asset(world.uow, world.caller(), {"name": name})
    assert state(world.store) == before


async def test_asset_names_are_unique_per_organisation_only(world: World) -> None:
    """The other organisation has a "Rival": the name is free here."""
    asset = await assets.create_asset(world.uow, world.caller(), {"name": "rival"})
    assert asset.id is not None
    assert world.store.assets[asset.id].organization_id == world.org


# --- assets: read and list ---------------------------------------------------------------------


async def test_reading_an_asset_includes_its_signals(world: World) -> None:
    asset = await assets.get_asset(world.uow, world.caller(Role.reader), world.asset_id)
    assert asset.name == "Tractor"
    assert [(s.id, s.name) for s in asset.signals] == [
        (world.temp_id, "temp"),
        (world.fuel_id, "fuel"),
    ]


async def test_listing_assets_shows_only_the_organisations_own(world: World) -> None:
    await assets.create_asset(world.uow, world.caller(), {"name": "Harvester"})
    page = await assets.list_assets(world.uow, world.caller(Role.reader), limit=50)
    assert _names(page.items) == ["Tractor", "Harvester"]
    assert page.next_cursor is None


async def test_listing_assets_filters_by_kind_and_by_name_prefix_in_any_case(world: World) -> None:
    for name, kind in [("Trailer", "trailer"), ("Tracker 2", "tractor"), ("Harvester", "combine")]:
        await assets.create_asset(world.uow, world.caller(), {"name": name, "kind": kind})
    caller = world.caller(Role.reader)

    by_kind = await assets.list_assets(world.uow, caller, kind="tractor", limit=50)
    by_prefix = await assets.list_assets(world.uow, caller, name_prefix="TRA", limit=50)
    both = await assets.list_assets(world.uow, caller, kind="tractor", name_prefix="trac", limit=50)

    assert _names(by_kind.items) == ["Tractor", "Tracker 2"]
    assert _names(by_prefix.items) == ["Tractor", "Trailer", "Tracker 2"]
    assert _names(both.items) == ["Tractor", "Tracker 2"]


# --- assets: PATCH -----------------------------------------------------------------------------


async def _age(world: World) -> None:
    """Push the asset's updated_at into the past, so a touch is visible."""
    world.store.assets[world.asset_id].updated_at = LONG_AGO


async def test_patching_changes_only_the_fields_given_and_touches_updated_at(world: World) -> None:
    await _age(world)
    stored = world.store.assets[world.asset_id]
    stored.description = "green one"
    stored.attributes = {"vin": "X1"}

    updated = await assets.update_asset(
        world.uow, world.caller(Role.writer), world.asset_id, {"kind": "loader"}
    )

    stored = world.store.assets[world.asset_id]
    assert (stored.name, stored.kind, stored.description, stored.attributes) == (
        "Tractor",
        "loader",
        "green one",
        {"vin": "X1"},
    )
    assert stored.updated_at > LONG_AGO
    assert updated.kind == "loader"
    assert _names(stored.signals) == ["temp", "fuel"]


async def test_patching_with_the_current_values_writes_nothing(world: World) -> None:
    await _age(world)
    before = state(world.store)
    commits = world.uow.commits

    updated = await assets.update_asset(
        world.uow, world.caller(), world.asset_id, {"name": "Tractor", "kind": "tractor"}
    )

    assert updated.updated_at == LONG_AGO
    assert state(world.store) == before
    assert world.uow.commits == commits


async def test_patching_a_name_that_normalises_to_the_current_one_changes_nothing(
    world: World,
) -> None:
    await _age(world)
    updated = await assets.update_asset(
        world.uow, world.caller(), world.asset_id, {"name": " Tractor "}
    )
    assert updated.updated_at == LONG_AGO


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "k" * 33}, "kind"),
        ({"description": "d" * 2001}, "description"),
        # a valid change first, then a bad one: the whole PATCH is refused
        ({"kind": "loader", "name": ""}, "name"),
    ],
)
async def test_an_invalid_patch_is_refused_and_the_asset_stays_as_it_was(
    world: World, changes: dict[str, Any], field: str
) -> None:
    await _age(world)
    before = state(world.store)

    with pytest.raises(InvalidInput) as caught:
        await assets.update_asset(world.uow, world.caller(), world.asset_id, changes)

    assert caught.value.errors
    assert {e.field[0] for e in caught.value.errors} == {field}
    assert state(world.store) == before
    fresh = await assets.get_asset(world.uow, world.caller(), world.asset_id)
    assert (fresh.name, fresh.kind, fresh.updated_at) == ("Tractor", "tractor", LONG_AGO)


@pytest.mark.parametrize("name", ["Harvester", "harvester", "HARVESTER"])
async def test_renaming_onto_another_assets_name_in_any_case_is_a_conflict(
    world: World, name: str
) -> None:
    await assets.create_asset(world.uow, world.caller(), {"name": "Harvester"})
    before = state(world.store)

    with pytest.raises(Conflict):
        await assets.update_asset(world.uow, world.caller(), world.asset_id, {"name": name})

    assert state(world.store) == before


async def test_an_asset_may_change_the_case_of_its_own_name(world: World) -> None:
    updated = await assets.update_asset(
        world.uow, world.caller(), world.asset_id, {"name": "TRACTOR"}
    )
    assert updated.name == world.store.assets[world.asset_id].name == "TRACTOR"


async def test_renaming_onto_another_organisations_asset_name_is_allowed(world: World) -> None:
    await assets.update_asset(world.uow, world.caller(), world.asset_id, {"name": "Rival"})
    assert world.store.assets[world.asset_id].name == "Rival"


# --- assets: delete ----------------------------------------------------------------------------


async def test_deleting_an_asset_takes_its_signals_and_measurements_with_it(world: World) -> None:
    await world.telemetry.write(
        world.org, Points.of([Measurement(signal_id=world.temp_id, ts=T0, value=1.0)])
    )
    await world.telemetry.write(
        world.other_org, Points.of([Measurement(signal_id=world.other_signal_id, ts=T0, value=2.0)])
    )

    await assets.delete_asset(world.uow, world.caller(Role.writer), world.asset_id)

    assert world.asset_id not in world.store.assets
    with pytest.raises(NotFound):
        await assets.get_signal(world.uow, world.caller(), world.temp_id)
    assert list(world.store.measurements) == [(world.other_signal_id, T0)]


async def test_deleting_an_asset_twice_is_not_found_the_second_time(world: World) -> None:
    await assets.delete_asset(world.uow, world.caller(), world.asset_id)
    with pytest.raises(NotFound):
        await assets.delete_asset(world.uow, world.caller(), world.asset_id)


# --- signals -----------------------------------------------------------------------------------


async def test_creating_a_signal_gives_it_an_id_and_attaches_it_to_the_asset(world: World) -> None:
    signal = await assets.create_signal(
        world.uow, world.caller(Role.writer), world.asset_id, {"name": "rpm", "unit": "1/min"}
    )
    assert signal.id is not None
    assert signal.asset_id == world.asset_id
    fetched = await assets.get_signal(world.uow, world.caller(), signal.id)
    assert (fetched.name, fetched.unit) == ("rpm", "1/min")
    assert _names(world.store.assets[world.asset_id].signals) == ["temp", "fuel", "rpm"]


async def test_two_new_signals_get_different_ids(world: World) -> None:
    a = await assets.create_signal(world.uow, world.caller(), world.asset_id, {"name": "a"})
    b = await assets.create_signal(world.uow, world.caller(), world.asset_id, {"name": "b"})
    assert None not in (a.id, b.id)
    assert len({a.id, b.id, world.temp_id, world.fuel_id}) == 4


@pytest.mark.parametrize("name", ["temp", "TEMP", " Temp "])
async def test_a_duplicate_signal_name_in_any_case_is_a_conflict(world: World, name: str) -> None:
    before = state(world.store)
    with pytest.raises(Conflict):
        await assets.create_signal(world.uow, world.caller(), world.asset_id, {"name": name})
    assert state(world.store) == before


async def test_signal_names_are_unique_per_asset_only(world: World) -> None:
    other = await assets.create_asset(world.uow, world.caller(), {"name": "Harvester"})
    assert other.id is not None
    signal = await assets.create_signal(world.uow, world.caller(), other.id, {"name": "temp"})
    assert signal.asset_id == other.id


async def test_listing_signals_of_an_asset_without_any_is_an_empty_page(world: World) -> None:
    other = await assets.create_asset(world.uow, world.caller(), {"name": "Harvester"})
    assert other.id is not None
    page = await assets.list_signals(world.uow, world.caller(), other.id, cursor=None, limit=50)
    assert (page.items, page.next_cursor) == ([], None)


async def test_listing_signals_shows_the_assets_signals(world: World) -> None:
    page = await assets.list_signals(
        world.uow, world.caller(Role.reader), world.asset_id, cursor=None, limit=50
    )
    assert [s.id for s in page.items] == [world.temp_id, world.fuel_id]


async def test_patching_a_signal_changes_only_the_fields_given(world: World) -> None:
    updated = await assets.update_signal(
        world.uow, world.caller(Role.writer), world.temp_id, {"unit": "°C"}
    )
    stored = world.signal(world.temp_id)
    assert (updated.unit, stored.unit, stored.name) == ("°C", "°C", "temp")


async def test_a_signals_unit_may_be_cleared(world: World) -> None:
    await assets.update_signal(world.uow, world.caller(), world.temp_id, {"unit": None})
    assert world.signal(world.temp_id).unit is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"unit": "u" * 33}, "unit"),
        ({"description": "d" * 2001}, "description"),
    ],
)
async def test_an_invalid_signal_patch_is_refused_and_the_signal_stays_as_it_was(
    world: World, changes: dict[str, Any], field: str
) -> None:
    before = state(world.store)
    with pytest.raises(InvalidInput) as caught:
        await assets.update_signal(world.uow, world.caller(), world.temp_id, changes)
    assert {e.field[0] for e in caught.value.errors} == {field}
    assert state(world.store) == before


@pytest.mark.parametrize("name", ["fuel", "FUEL", "Fuel"])
async def test_renaming_a_signal_onto_a_siblings_name_in_any_case_is_a_conflict(
    world: World, name: str
) -> None:
    before = state(world.store)
    with pytest.raises(Conflict):
        await assets.update_signal(world.uow, world.caller(), world.temp_id, {"name": name})
    assert state(world.store) == before


async def test_deleting_a_signal_takes_its_measurements_and_leaves_its_siblings(
    world: World,
) -> None:
    await world.telemetry.write(
        world.org,
        Points.of(
            [
                Measurement(signal_id=world.temp_id, ts=T0, value=1.0),
                Measurement(signal_id=world.fuel_id, ts=T0, value=2.0),
            ]
        ),
    )
    await assets.delete_signal(world.uow, world.caller(Role.writer), world.temp_id)

    assert _names(world.store.assets[world.asset_id].signals) == ["fuel"]
    assert list(world.store.measurements) == [(world.fuel_id, T0)]
    with pytest.raises(NotFound):
        await assets.get_signal(world.uow, world.caller(), world.temp_id)


# --- tenancy: another organisation's ids are not found, and nothing changes ------------------

IdUseCase = Callable[[World, Principal, int], Awaitable[object]]

ASSET_ID_USE_CASES: dict[str, IdUseCase] = {
    "get_asset": lambda w, c, i: assets.get_asset(w.uow, c, i),
    "update_asset": lambda w, c, i: assets.update_asset(w.uow, c, i, {"name": "Mine now"}),
    "delete_asset": lambda w, c, i: assets.delete_asset(w.uow, c, i),
    "create_signal": lambda w, c, i: assets.create_signal(w.uow, c, i, {"name": "sneaky"}),
    "list_signals": lambda w, c, i: assets.list_signals(w.uow, c, i, cursor=None, limit=50),
}
SIGNAL_ID_USE_CASES: dict[str, IdUseCase] = {
    "get_signal": lambda w, c, i: assets.get_signal(w.uow, c, i),
    "update_signal": lambda w, c, i: assets.update_signal(w.uow, c, i, {"name": "Mine now"}),
    "delete_signal": lambda w, c, i: assets.delete_signal(w.uow, c, i),
}


@pytest.mark.parametrize("use_case", ASSET_ID_USE_CASES)
async def test_another_organisations_asset_is_not_found(world: World, use_case: str) -> None:
    before = state(world.store)
    with pytest.raises(NotFound):
        await ASSET_ID_USE_CASES[use_case](world, world.caller(Role.admin), world.other_asset_id)
    assert state(world.store) == before


@pytest.mark.parametrize("use_case", SIGNAL_ID_USE_CASES)
async def test_another_organisations_signal_is_not_found(world: World, use_case: str) -> None:
    before = state(world.store)
    with pytest.raises(NotFound):
        await SIGNAL_ID_USE_CASES[use_case](world, world.caller(Role.admin), world.other_signal_id)
    assert state(world.store) == before


ID_USE_CASES = ASSET_ID_USE_CASES | SIGNAL_ID_USE_CASES


@pytest.mark.parametrize("use_case", ID_USE_CASES)
async def test_an_unknown_id_is_not_found(world: World, use_case: str) -> None:
    call = ID_USE_CASES[use_case]
    with pytest.raises(NotFound):
        await call(world, world.caller(Role.admin), 999_999)


async def test_another_organisations_assets_are_not_listed(world: World) -> None:
    page = await assets.list_assets(world.uow, world.outsider(Role.reader), limit=50)
    assert _names(page.items) == ["Rival"]


# --- roles: readers read, writers write, admins do both -----------------------------------------

UseCase = Callable[[World, Principal], Awaitable[object]]

USE_CASES: dict[str, tuple[Role, UseCase]] = {
    "create_asset": (Role.writer, lambda w, c: assets.create_asset(w.uow, c, {"name": "New"})),
    "list_assets": (Role.reader, lambda w, c: assets.list_assets(w.uow, c, limit=50)),
    "get_asset": (Role.reader, lambda w, c: assets.get_asset(w.uow, c, w.asset_id)),
    "update_asset": (
        Role.writer,
        lambda w, c: assets.update_asset(w.uow, c, w.asset_id, {"kind": "loader"}),
    ),
    "delete_asset": (Role.writer, lambda w, c: assets.delete_asset(w.uow, c, w.asset_id)),
    "create_signal": (
        Role.writer,
        lambda w, c: assets.create_signal(w.uow, c, w.asset_id, {"name": "rpm"}),
    ),
    "list_signals": (
        Role.reader,
        lambda w, c: assets.list_signals(w.uow, c, w.asset_id, cursor=None, limit=50),
    ),
    "get_signal": (Role.reader, lambda w, c: assets.get_signal(w.uow, c, w.temp_id)),
    "update_signal": (
        Role.writer,
        lambda w, c: assets.update_signal(w.uow, c, w.temp_id, {"unit": "K"}),
    ),
    "delete_signal": (Role.writer, lambda w, c: assets.delete_signal(w.uow, c, w.temp_id)),
}
# Who may do what, spelled out rather than derived from Role.allows.
ALLOWED = {
    Role.reader: {Role.reader},
    Role.writer: {Role.reader, Role.writer},
    Role.admin: {Role.reader, Role.writer, Role.admin},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("use_case", USE_CASES)
async def test_each_use_case_needs_its_role(world: World, use_case: str, role: Role) -> None:
    required, call = USE_CASES[use_case]
    before = state(world.store)
    if required in ALLOWED[role]:
        await call(world, world.caller(role))
    else:
        with pytest.raises(PermissionDenied, match=required.value):
            await call(world, world.caller(role))
        assert state(world.store) == before


async def test_a_reader_is_refused_a_write_before_the_id_is_looked_up(
    world: World,
) -> None:
    """The role is checked first: a reader learns nothing about ids, not even 'not found'."""
    with pytest.raises(PermissionDenied):
        await assets.delete_asset(world.uow, world.caller(Role.reader), 999_999)
