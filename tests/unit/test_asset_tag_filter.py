"""Listing assets by tag: the tag asked for is normalised like a stored one, or refused."""

import pytest

from assetwatch.domain import FieldError, InvalidInput, Role
from assetwatch.services import assets
from tests.unit.fakes import World, build_world


@pytest.fixture
async def world() -> World:
    world = await build_world()
    for name, tags in [("Trailer", ["fleet", "north-field"]), ("Drone", ["north-field"])]:
        await assets.create_asset(world.uow, world.caller(), {"name": name, "tags": tags})
    return world


async def names_tagged(world: World, tag: str) -> list[str]:
    """Every asset listed with the tag, a page of one at a time."""
    names, cursor = [], None
    while True:
        page = await assets.list_assets(
            world.uow, world.caller(Role.reader), tag=tag, cursor=cursor, limit=1
        )
        names += [a.name for a in page.items]
        if (cursor := page.next_cursor) is None:
            return names


async def test_only_assets_with_the_tag_are_listed_on_every_page(world: World) -> None:
    assert await names_tagged(world, "FLEET") == ["Trailer"]
    assert await names_tagged(world, " North-Field ") == ["Trailer", "Drone"]


async def test_a_tag_no_asset_has_lists_nothing(world: World) -> None:
    assert await names_tagged(world, "south") == []


async def test_an_invalid_tag_names_the_query_parameter_and_the_reason(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        await assets.list_assets(world.uow, world.caller(), tag="north,field", limit=5)
    assert refused.value.detail == "not a valid tag"
    assert refused.value.errors == [
        FieldError(
            ("tag",),
            "Value error, a tag may not contain commas, tabs, line breaks or control characters",
            "value_error",
        )
    ]
