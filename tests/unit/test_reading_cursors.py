"""Raw readings resumed from a cursor: the range still bounds them, and a bad cursor is a 422."""

from datetime import UTC, datetime, timedelta

import pytest

from assetwatch.domain import FieldError, InvalidInput, Measurement, Points, Reading, Role
from assetwatch.services import telemetry
from assetwatch.services.pagination import Page
from tests.unit.fakes import World, build_world

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
INVALID_CURSOR = "the cursor is not valid: pass back next_cursor exactly as received"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
async def world() -> World:
    """temp holds a point a minute, minutes 0 to 9."""
    world = await build_world()
    points = [Measurement(signal_id=world.temp_id, ts=at(m), value=m) for m in range(10)]
    await world.telemetry.write(world.org, Points.of(points))
    return world


async def read(
    world: World,
    cursor: str | None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    descending: bool = False,
) -> Page[Reading]:
    return await telemetry.readings(
        world.telemetry,
        world.caller(Role.reader),
        world.temp_id,
        start=start,
        end=end,
        descending=descending,
        limit=2,
        cursor=cursor,
    )


def minutes(page: Page[Reading]) -> list[float]:
    return [r["value"] for r in page.items]


async def test_a_start_later_than_the_cursor_still_bounds_the_next_page(world: World) -> None:
    first = await read(world, None)
    assert minutes(first) == [0, 1]
    assert minutes(await read(world, first.next_cursor, start=at(5))) == [5, 6]


async def test_an_end_earlier_than_the_cursor_still_bounds_the_next_newest_first_page(
    world: World,
) -> None:
    first = await read(world, None, descending=True)
    assert minutes(first) == [9, 8]
    later = await read(world, first.next_cursor, end=at(4), descending=True)
    assert minutes(later) == [3, 2]


async def test_a_cursor_turned_to_the_other_order_reads_back_from_its_point(
    world: World,
) -> None:
    first = await read(world, None)  # minutes 0 and 1
    turned = await read(world, first.next_cursor, descending=True)
    assert minutes(turned) == [0]  # before minute 1, newest first


async def test_a_cursor_past_the_end_of_time_is_an_empty_last_page(world: World) -> None:
    page = await read(world, "9" * 19)
    assert (page.items, page.next_cursor) == ([], None)


async def test_a_malformed_cursor_asks_for_the_cursor_as_received(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        await read(world, "2026-03-02T08:00:00Z")
    assert refused.value.detail == INVALID_CURSOR
    assert refused.value.errors == [FieldError(("cursor",), "invalid cursor", "cursor")]
