"""Each refusal of a use case says what was missing or clashed: the problem's `detail`."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from assetwatch.domain import AuthenticationFailed, Conflict, NotFound, Role
from assetwatch.services import api_keys, assets, retention, telemetry, tenancy
from assetwatch.services.auth import KeyCache, authenticate
from tests.unit.fakes import World, build_world, principal

UNKNOWN = 999_999
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
T1 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
async def world() -> World:
    return await build_world()


Refusal = Callable[[World], Awaitable[object]]

NOT_FOUND: dict[str, tuple[Refusal, str]] = {
    "get_asset": (lambda w: assets.get_asset(w.uow, w.caller(), UNKNOWN), f"no asset {UNKNOWN}"),
    "delete_asset": (
        lambda w: assets.delete_asset(w.uow, w.caller(), UNKNOWN),
        f"no asset {UNKNOWN}",
    ),
    "list_signals": (
        lambda w: assets.list_signals(w.uow, w.caller(), UNKNOWN, cursor=None, limit=5),
        f"no asset {UNKNOWN}",
    ),
    "get_signal": (
        lambda w: assets.get_signal(w.uow, w.caller(), UNKNOWN),
        f"no signal {UNKNOWN}",
    ),
    "delete_signal": (
        lambda w: assets.delete_signal(w.uow, w.caller(), UNKNOWN),
        f"no signal {UNKNOWN}",
    ),
    "readings": (
        lambda w: telemetry.readings(
            w.telemetry,
            w.caller(),
            UNKNOWN,
            start=None,
            end=None,
            descending=False,
            limit=5,
            cursor=None,
        ),
        f"no signal {UNKNOWN}",
    ),
    "latest": (lambda w: telemetry.latest(w.telemetry, w.caller(), UNKNOWN), f"no asset {UNKNOWN}"),
    "asset_rollups": (
        lambda w: telemetry.asset_rollups(
            w.telemetry, w.caller(), UNKNOWN, bucket="1h", start=T0, end=T1, signal_ids=None
        ),
        f"no asset {UNKNOWN}",
    ),
    "revoke_key": (
        lambda w: api_keys.revoke_key(w.uow, w.caller(), UNKNOWN, KeyCache(ttl=5)),
        f"no API key {UNKNOWN}",
    ),
    "get_retention": (
        lambda w: retention.get_retention(w.uow, principal(UNKNOWN, Role.admin), None),
        f"no organisation {UNKNOWN}",
    ),
    "create_key_for_slug": (
        lambda w: tenancy.create_key_for_slug(w.uow, "nobody", "ci", Role.admin),
        "no organisation 'nobody'",
    ),
}


@pytest.mark.parametrize("use_case", NOT_FOUND)
async def test_not_found_names_what_was_looked_for(world: World, use_case: str) -> None:
    call, detail = NOT_FOUND[use_case]
    with pytest.raises(NotFound) as refused:
        await call(world)
    assert refused.value.detail == detail


async def test_a_taken_slug_names_the_organisation(world: World) -> None:
    with pytest.raises(Conflict) as refused:
        await tenancy.create_organization(world.uow, "ACME", "Acme again")
    assert refused.value.detail == "organisation 'acme' already exists"


@pytest.mark.parametrize("token", [None, "aw_nothing", "aw_unknown_secret"])
async def test_a_refused_token_says_what_a_valid_one_looks_like(
    world: World, token: str | None
) -> None:
    with pytest.raises(AuthenticationFailed) as refused:
        await authenticate(world.uow, KeyCache(ttl=5), token)
    assert refused.value.detail == (
        "a valid API key is required: Authorization: Bearer aw_<prefix>_<secret>"
    )
