"""Rollups of every signal of an asset in one request (or of the signals asked for)."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from assetwatch.domain import InvalidInput, Measurement, NotFound, Points, Role
from assetwatch.domain.readings import Rollup
from assetwatch.services import telemetry
from assetwatch.services.auth import Principal
from tests.unit.fakes import World, build_world, seed_asset

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # on the hour
HOUR = timedelta(hours=1)


@pytest.fixture
async def world() -> World:
    """temp: 1 and 3 in the 08:00 hour, 10 at 09:00, and a point before 08:00 and one at 10:00;
    fuel: 0.5 at 08:30."""
    world = await build_world()
    points = [
        Measurement(signal_id=world.temp_id, ts=T0 - HOUR / 2, value=-1.0),
        Measurement(signal_id=world.temp_id, ts=T0 + 2 * HOUR, value=-2.0),
        Measurement(signal_id=world.temp_id, ts=T0, value=1.0),
        Measurement(signal_id=world.temp_id, ts=T0 + HOUR / 2, value=3.0),
        Measurement(signal_id=world.temp_id, ts=T0 + HOUR, value=10.0),
        Measurement(signal_id=world.fuel_id, ts=T0 + HOUR / 2, value=0.5),
    ]
    await world.telemetry.write(world.org, Points.of(points))
    return world


async def asset_rollups(
    world: World,
    asset_id: int | None = None,
    *,
    bucket: str = "1h",
    start: datetime = T0,
    end: datetime = T0 + 2 * HOUR,
    signal_ids: list[int] | None = None,
    caller: Principal | None = None,
) -> Mapping[int, Sequence[Rollup]]:
    return await telemetry.asset_rollups(
        world.telemetry,
        caller or world.caller(Role.reader),
        world.asset_id if asset_id is None else asset_id,
        bucket=bucket,
        start=start,
        end=end,
        signal_ids=signal_ids,
    )


async def test_every_signal_of_the_asset_has_its_buckets_in_the_range(world: World) -> None:
    assert await asset_rollups(world) == {
        world.temp_id: [Rollup(T0, 2, 1.0, 3.0, 2.0), Rollup(T0 + HOUR, 1, 10.0, 10.0, 10.0)],
        world.fuel_id: [Rollup(T0, 1, 0.5, 0.5, 0.5)],
    }


async def test_the_signals_asked_for_and_only_those(world: World) -> None:
    series = await asset_rollups(world, signal_ids=[world.fuel_id], start=T0 + HOUR / 4)
    assert series == {world.fuel_id: [Rollup(T0, 1, 0.5, 0.5, 0.5)]}


async def test_an_asset_without_such_signals_has_no_series_but_is_found(world: World) -> None:
    assert await asset_rollups(world, signal_ids=[world.other_signal_id]) == {}
    empty = await seed_asset(world.uow, world.org, "Shed")
    assert empty.id is not None
    assert await asset_rollups(world, empty.id) == {}


async def test_another_organisations_asset_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await asset_rollups(world, world.other_asset_id)
    with pytest.raises(NotFound):
        await asset_rollups(world, caller=world.outsider(Role.reader))


@pytest.mark.parametrize(
    ("bucket", "start", "end", "kind"),
    [
        ("1w", T0, T0 + HOUR, "bucket"),
        ("1h", T0, T0, "range"),
        ("1s", T0, T0 + 3 * HOUR, "bucket_count"),
    ],
)
async def test_the_bucket_and_range_rules_apply(
    world: World, bucket: str, start: datetime, end: datetime, kind: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await asset_rollups(world, bucket=bucket, start=start, end=end)
    assert [e.type for e in refused.value.errors] == [kind]
