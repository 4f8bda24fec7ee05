"""Keyset pages and opaque cursors, on every listing."""

import base64
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from assetwatch.domain import InvalidInput, NotFound, Role
from assetwatch.services import api_keys, assets
from assetwatch.services.pagination import AfterId, Page, decode_cursor, encode_cursor, page_by_id
from assetwatch.services.telemetry import AfterTs
from tests.unit.fakes import World, build_world, principal


@pytest.fixture
async def world() -> World:
    return await build_world()


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- cursors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "position",
    [
        AfterId(after_id=0),
        AfterId(after_id=2**63 - 1),
        AfterTs(
            after_ts=datetime(2026, 3, 2, 8, 0, 0, 1, tzinfo=timezone(timedelta(hours=2))),
            descending=True,
        ),
        AfterTs(after_ts=datetime(2026, 3, 2, 8, tzinfo=UTC), descending=False),
    ],
)
def test_a_cursor_decodes_to_the_position_it_encodes(position: AfterId | AfterTs) -> None:
    cursor = encode_cursor(position)
    assert decode_cursor(cursor, type(position)) == position


def test_a_cursor_is_url_safe_without_padding() -> None:
    for digits in range(19):  # ids of 1 to 19 digits: payloads of every length modulo 3
        cursor = encode_cursor(AfterId(after_id=10**digits))
        assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor), cursor


def test_a_cursor_is_base64url_json_naming_the_position() -> None:
    cursor = encode_cursor(AfterId(after_id=42))
    assert json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))) == {
        "after_id": 42
    }


def test_no_cursor_means_the_first_page() -> None:
    assert decode_cursor(None, AfterId) is None


VALID = encode_cursor(AfterId(after_id=42))  # eyJhZnRlcl9pZCI6NDJ9
TAMPERED = {
    "truncated by one": VALID[:-1],
    "truncated by two": VALID[:-2],
    "truncated to the half": VALID[: len(VALID) // 2],
    "padded": VALID + "====",
    "a character inserted": VALID[:5] + "%" + VALID[5:],  # the decoder alone would skip it
    "a space before": " " + VALID,
    "a NUL after": VALID + "\x00",
    "standard base64": base64.b64encode(b'{"after_id":1023}').decode(),  # +, / and =
    "id beyond bigint": b64(b'{"after_id": 9223372036854775808}'),  # the query would fail
    "id far beyond bigint": b64(b'{"after_id": 1e30}'),
    "negative id": b64(b'{"after_id": -1}'),
    "garbage": "%%%",
    "non-ascii": "\u00e9t\u00e9",
    "empty": "",
    "bad padding": "a",
    "not json": b64(b"<xml/>"),
    "not utf-8": b64(b"\x80\x81"),
    "json null": b64(b"null"),
    "json string": b64(b'"after_id"'),
    "readings cursor": b64(b'{"after_ts": "2026-03-02T08:00:00Z", "descending": false}'),
    "missing field": b64(b"{}"),
    "extra field": b64(b'{"after_id": 1, "org": 2}'),
    "not a number": b64(b'{"after_id": "many"}'),
    "a fraction": b64(b'{"after_id": 1.5}'),
}


@pytest.mark.parametrize("cursor", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_cursor_is_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(cursor, AfterId)
    assert [e.field for e in caught.value.errors] == [("cursor",)]


# --- pages -------------------------------------------------------------------------------------


def test_a_page_fetched_with_one_extra_row_has_a_next_cursor_after_its_last_item() -> None:
    rows = [AfterId(after_id=i) for i in (3, 5, 8, 13)]
    page = page_by_id(rows, 3, lambda r: r.after_id)
    assert page.items == rows[:3]
    assert decode_cursor(page.next_cursor, AfterId) == AfterId(after_id=8)


@pytest.mark.parametrize("count", [0, 1, 3])
def test_a_page_of_at_most_limit_rows_is_the_last(count: int) -> None:
    rows = [AfterId(after_id=i) for i in range(count)]
    assert page_by_id(rows, 3, lambda r: r.after_id) == Page(rows, None)


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
    page = await LISTINGS[listing](world, encode_cursor(AfterId(after_id=10**6)), 10)
    assert (page.items, page.next_cursor) == ([], None)


@pytest.mark.parametrize("listing", LISTINGS)
async def test_a_forged_cursor_never_reaches_another_organisations_rows(
    world: World, listing: str
) -> None:
    await _fill(world, 3)
    page = await LISTINGS[listing](world, encode_cursor(AfterId(after_id=0)), 1000)
    assert page.items == await _everything(world, listing)


async def test_a_cursor_does_not_open_another_organisations_signals(world: World) -> None:
    cursor = encode_cursor(AfterId(after_id=0))
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
