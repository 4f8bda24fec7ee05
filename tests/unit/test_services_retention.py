"""An organisation's retention: its own number of days or the deployment's default; admin only."""

from collections.abc import Awaitable, Callable

import pytest

from assetwatch.domain import InvalidInput, NotFound, PermissionDenied, Role
from assetwatch.services import retention
from assetwatch.services.auth import Principal
from assetwatch.services.retention import Retention
from tests.unit.fakes import FakeUnitOfWork, World, build_world, principal, state


@pytest.fixture
async def world() -> World:
    return await build_world()


async def test_an_organisation_that_set_nothing_inherits_the_default(world: World) -> None:
    assert await retention.get_retention(world.uow, world.caller(), 90) == Retention(
        90, inherited=True, default_days=90
    )


async def test_without_a_default_an_organisation_keeps_telemetry_forever(world: World) -> None:
    assert await retention.get_retention(world.uow, world.caller(), None) == Retention(
        None, inherited=True, default_days=None
    )


@pytest.mark.parametrize("default_days", [None, 7, 400])
async def test_an_organisations_own_days_win_over_the_default(
    world: World, default_days: int | None
) -> None:
    set_to = await retention.set_retention(world.uow, world.caller(), 30, default_days=default_days)
    expected = Retention(30, inherited=False, default_days=default_days)
    assert set_to == expected
    assert await retention.get_retention(world.uow, world.caller(), default_days) == expected
    assert world.store.organizations[world.org].retention_days == 30


async def test_setting_none_goes_back_to_the_default(world: World) -> None:
    await retention.set_retention(world.uow, world.caller(), 30, default_days=90)
    back = await retention.set_retention(world.uow, world.caller(), None, default_days=90)
    assert back == Retention(90, inherited=True, default_days=90)
    assert world.store.organizations[world.org].retention_days is None


async def test_setting_the_same_days_again_writes_nothing(world: World) -> None:
    await retention.set_retention(world.uow, world.caller(), 30, default_days=None)
    before = state(world.store)
    again = await retention.set_retention(world.uow, world.caller(), 30, default_days=None)
    assert again == Retention(30, inherited=False, default_days=None)
    assert state(world.store) == before


async def test_one_organisations_retention_leaves_the_others_alone(world: World) -> None:
    await retention.set_retention(world.uow, world.caller(), 1, default_days=90)
    theirs = await retention.get_retention(world.uow, world.outsider(), 90)
    assert theirs == Retention(90, inherited=True, default_days=90)
    assert world.store.organizations[world.other_org].retention_days is None


@pytest.mark.parametrize("days", [0, -1, 36_501])
async def test_days_out_of_range_are_invalid_and_nothing_changes(world: World, days: int) -> None:
    await retention.set_retention(world.uow, world.caller(), 30, default_days=None)
    before = state(world.store)
    with pytest.raises(InvalidInput) as raised:
        await retention.set_retention(world.uow, world.caller(), days, default_days=None)
    assert raised.value.errors[0].field == ("days",)
    assert state(world.store) == before


@pytest.mark.parametrize("days", [1, 36_500])
async def test_the_range_is_inclusive(world: World, days: int) -> None:
    applied = await retention.set_retention(world.uow, world.caller(), days, default_days=None)
    assert applied.days == days


async def test_an_organisation_gone_since_its_key_was_cached_is_not_found() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(NotFound):
        await retention.get_retention(uow, principal(42, Role.admin), None)
    with pytest.raises(NotFound):
        await retention.set_retention(uow, principal(42, Role.admin), 3, default_days=None)


UseCase = Callable[[World, Principal], Awaitable[object]]
USE_CASES: dict[str, UseCase] = {
    "get": lambda w, c: retention.get_retention(w.uow, c, 90),
    "set": lambda w, c: retention.set_retention(w.uow, c, 5, default_days=90),
    "unset": lambda w, c: retention.set_retention(w.uow, c, None, default_days=90),
}


@pytest.mark.parametrize("use_case", USE_CASES)
@pytest.mark.parametrize("role", [Role.reader, Role.writer])
async def test_retention_is_for_admins_only(world: World, use_case: str, role: Role) -> None:
    await retention.set_retention(world.uow, world.caller(), 30, default_days=90)
    before = state(world.store)
    with pytest.raises(PermissionDenied, match="admin"):
        await USE_CASES[use_case](world, world.caller(role))
    assert state(world.store) == before
