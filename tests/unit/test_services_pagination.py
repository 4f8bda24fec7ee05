"""Keyset pages and opaque cursors, on every listing."""

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetwatch.domain import InvalidInput, NotFound, Role
from assetwatch.services import api_keys, assets
from assetwatch.services.pagination import (
    BIGINT_MAX,
    CURSOR_PATTERN,
    Page,
    after_id,
    after_instant,
    instant_cursor,
    page_by_id,
)
from tests.unit.fakes import World, build_world, principal


@pytest.fixture
async def world() -> World:
    return await build_world()


# --- cursors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("position", [0, 1, 42, 10**18, BIGINT_MAX])
def test_an_id_cursor_is_the_decimal_id_and_reads_back_as_it(position: int) -> None:
    cursor = str(position)
    assert re.fullmatch(CURSOR_PATTERN, cursor)
    assert after_id(cursor) == position


@pytest.mark.parametrize(
    ("cursor", "position"),
    [("-5", 0), ("0000", 0), ("9223372036854775808", BIGINT_MAX), ("9" * 19, BIGINT_MAX)],
)
def test_an_id_cursor_beyond_either_end_reads_as_that_end(cursor: str, position: int) -> None:
    assert after_id(cursor) == position


@pytest.mark.parametrize(
    "ts",
    [
        datetime(2026, 3, 2, 8, 0, 0, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999998, tzinfo=UTC),
    ],
)
def test_an_instant_cursor_reads_back_as_the_instant(ts: datetime) -> None:
    cursor = instant_cursor(ts)
    assert re.fullmatch(CURSOR_PATTERN, cursor)
    assert after_instant(cursor) == ts


def test_an_instant_cursor_is_microseconds_since_1970() -> None:
    assert instant_cursor(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC)) == "1000005"


@pytest.mark.parametrize(
    ("cursor", "ts"),
    [
        ("-" + "9" * 19, datetime(1, 1, 1, tzinfo=UTC)),
        ("9" * 19, datetime(9999, 12, 31, 23, 59, 59, 999998, tzinfo=UTC)),
    ],
)
def test_an_instant_cursor_beyond_either_end_reads_as_that_end(cursor: str, ts: datetime) -> None:
    assert after_instant(cursor) == ts


def test_no_cursor_means_the_first_page() -> None:
    assert (after_id(None), after_instant(None)) == (None, None)


TAMPERED = {
    "garbage": "%%%",
    "non-ascii digits": "\u0664\u0662",  # Arabic-Indic 42: int() would read it
    "empty": "",
    "a space before": " 42",
    "a newline after": "42\n",
    "a NUL after": "42\x00",
    "a plus sign": "+42",
    "a fraction": "4.2",
    "twenty digits": "1" * 20,
    "the old base64 form": "eyJhZnRlcl9pZCI6NDJ9",
}


@pytest.mark.parametrize("cursor", TAMPERED.values(), ids=TAMPERED.keys())
@pytest.mark.parametrize("read", [after_id, after_instant], ids=["id", "instant"])
def test_a_tampered_cursor_is_invalid_input(cursor: str, read: Callable[[str], object]) -> None:
    with pytest.raises(InvalidInput) as caught:
        read(cursor)
    assert [e.field for e in caught.value.errors] == [("cursor",)]


@given(st.from_regex(CURSOR_PATTERN, fullmatch=True))
def test_every_string_of_the_documented_pattern_is_a_position(cursor: str) -> None:
    assert after_id(cursor) is not None
    assert after_instant(cursor) is not None


# --- pages -------------------------------------------------------------------------------------


def test_a_page_fetched_with_one_extra_row_has_a_next_cursor_after_its_last_item() -> None:
    rows = [3, 5, 8, 13]
    page = page_by_id(rows, 3, lambda r: r)
    assert page.items == rows[:3]
    assert after_id(page.next_cursor) == 8


@pytest.mark.parametrize("count", [0, 1, 3])
def test_a_page_of_at_most_limit_rows_is_the_last(count: int) -> None:
    rows = list(range(1, count + 1))
    assert page_by_id(rows, 3, lambda r: r) == Page(rows, None)


# --- every listing, page by page ---------------------------------------------------------------

Lister = Callable[[World, str | None, int], Awaitable[Page[Any]]]

LISTINGS: dict[str, Lister] = {
    "assets": lambda w, cursor, limit: assets.list_assets(
        w.uow, w.caller(Role.reader), cursor=cursor, limit=limit
    ),
    "signals": lambda w, cursor, limit: assets.list_signals(
        w.uow, w.caller(Role.reader), w.asset_id, cursor=cursor, limit=limit
    ),
    "api keys": lambda w, cursor, limit: api_keys.list_keys(
        w.uow, w.caller(Role.admin), cursor=cursor, limit=limit
    ),
}


async def _fill(world: World, count: int) -> None:
    """`count` more assets, signals of the Tractor and keys, interleaved so ids have gaps."""
    for i in range(count):
        await assets.create_asset(world.uow, world.caller(), {"name": f"Asset {i}"})
        await assets.create_signal(world.uow, world.caller(), world.asset_id, {"name": f"s{i}"})
        await api_keys.create_key(world.uow, world.caller(), f"key {i}", Role.reader)
        await assets.create_asset(world.uow, world.outsider(), {"name": f"Theirs {i}"})
        await api_keys.create_key(world.uow, world.outsider(), f"their key {i}", Role.reader)


async def _everything(world: World, listing: str) -> list[Any]:
    page = await LISTINGS[listing](world, None, 1000)
    assert page.next_cursor is None
    return page.items


@pytest.mark.parametrize("listing", LISTINGS)
@pytest.mark.parametrize("limit", [1, 2, 3, 4, 9])
async def test_following_cursors_lists_everything_once_in_id_order(
    world: World, listing: str, limit: int
) -> None:
    await _fill(world, 7)
    everything = await _everything(world, listing)
    assert len(everything) >= 7

    seen: list[Any] = []
    cursor, pages = None, 0
    while True:
        page = await LISTINGS[listing](world, cursor, limit)
        pages += 1
        assert len(page.items) <= limit
        seen += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert [i.id for i in seen] == sorted(i.id for i in everything)
    assert pages == -(-len(everything) // limit)


async def test_filters_hold_across_pages(world: World) -> None:
    for i in range(6):
        kind = "tractor" if i % 2 else "trailer"
        await assets.create_asset(world.uow, world.caller(), {"name": f"T{i}", "kind": kind})
    caller = world.caller(Role.reader)
    names: list[str] = []
    cursor = None
    while True:
        page = await assets.list_assets(
            world.uow, caller, kind="tractor", name_prefix="t", cursor=cursor, limit=2
        )
        names += [a.name for a in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert names == ["Tractor", "T1", "T3", "T5"]


@pytest.mark.parametrize("listing", LISTINGS)
@pytest.mark.parametrize("cursor", TAMPERED.values(), ids=TAMPERED.keys())
async def test_every_listing_refuses_a_tampered_cursor(
    world: World, listing: str, cursor: str
) -> None:
    with pytest.raises(InvalidInput):
        await LISTINGS[listing](world, cursor, 10)


@pytest.mark.parametrize("listing", LISTINGS)
async def test_a_cursor_past_the_end_is_an_empty_last_page(world: World, listing: str) -> None:
    page = await LISTINGS[listing](world, "1000000", 10)
    assert (page.items, page.next_cursor) == ([], None)


@pytest.mark.parametrize("listing", LISTINGS)
async def test_a_forged_cursor_never_reaches_another_organisations_rows(
    world: World, listing: str
) -> None:
    await _fill(world, 3)
    page = await LISTINGS[listing](world, "0", 1000)
    assert page.items == await _everything(world, listing)


async def test_a_cursor_does_not_open_another_organisations_signals(world: World) -> None:
    cursor = "0"
    with pytest.raises(NotFound):
        await assets.list_signals(
            world.uow, world.caller(), world.other_asset_id, cursor=cursor, limit=10
        )


async def test_an_outsiders_key_listing_shows_only_its_keys(world: World) -> None:
    await _fill(world, 2)
    page = await api_keys.list_keys(
        world.uow, principal(world.other_org, Role.admin), cursor=None, limit=50
    )
    assert [k.name for k in page.items] == ["their key 0", "their key 1"]
