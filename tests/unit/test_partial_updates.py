"""PATCH-like updates: every changed field is written, and a refusal names the field and why."""

import pytest

from assetwatch.domain import FieldError, InvalidInput, Role
from assetwatch.services import assets, retention
from tests.unit.fakes import World, build_world


@pytest.fixture
async def world() -> World:
    return await build_world()


async def test_a_field_after_an_unchanged_one_is_still_written(world: World) -> None:
    await assets.update_asset(
        world.uow, world.caller(Role.writer), world.asset_id, {"name": "Tractor", "kind": "loader"}
    )
    stored = await assets.get_asset(world.uow, world.caller(), world.asset_id)
    assert (stored.name, stored.kind) == ("Tractor", "loader")


async def test_a_change_is_written_when_a_later_field_normalises_to_its_value(
    world: World,
) -> None:
    await assets.update_asset(
        world.uow,
        world.caller(Role.writer),
        world.asset_id,
        {"name": "Harvester", "kind": " tractor "},
    )
    stored = await assets.get_asset(world.uow, world.caller(), world.asset_id)
    assert (stored.name, stored.kind) == ("Harvester", "tractor")


async def test_an_invalid_value_names_the_field_and_pydantics_reason(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        await assets.update_signal(world.uow, world.caller(), world.temp_id, {"unit": "u" * 33})
    assert refused.value.detail == "invalid value for unit"
    assert refused.value.errors == [
        FieldError(("unit",), "String should have at most 32 characters", "string_too_long")
    ]


async def test_invalid_retention_days_name_the_days_field_and_the_bound(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        await retention.set_retention(world.uow, world.caller(), 0, default_days=None)
    assert refused.value.detail == "invalid number of days"
    assert refused.value.errors == [
        FieldError(("days",), "Input should be greater than or equal to 1", "greater_than_equal")
    ]
