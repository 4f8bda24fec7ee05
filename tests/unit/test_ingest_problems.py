"""What a device reads when a batch is refused: the count in the detail, each point by index."""

from datetime import UTC, datetime, timedelta

import pytest

from assetwatch.domain import FieldError, InvalidInput, Measurement, Points, Role
from assetwatch.domain.types import utcnow
from assetwatch.services import telemetry
from tests.unit.fakes import World, build_world

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
UNKNOWN = 999_999


@pytest.fixture
async def world() -> World:
    return await build_world()


async def ingest(world: World, *points: tuple[int, datetime]) -> int:
    batch = Points.of(Measurement(signal_id=s, ts=ts, value=1.0) for s, ts in points)
    return await telemetry.ingest(
        world.telemetry, world.caller(Role.writer), batch, max_future=timedelta(minutes=5)
    )


async def test_future_points_are_counted_in_the_detail(world: World) -> None:
    ahead = utcnow() + timedelta(hours=1)
    with pytest.raises(InvalidInput) as refused:
        await ingest(world, (world.temp_id, T0), (world.temp_id, ahead), (world.fuel_id, ahead))
    assert refused.value.detail == "2 point(s) are stamped in the future"


async def test_unknown_signals_are_listed_in_the_detail_and_named_at_their_first_point(
    world: World,
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await ingest(
            world,
            (world.temp_id, T0),
            (UNKNOWN, T0),
            (world.other_signal_id, T0),
            (UNKNOWN, T0 + timedelta(seconds=1)),
        )
    assert refused.value.detail == (
        f"unknown signal ids: {sorted([world.other_signal_id, UNKNOWN])}; nothing was written"
    )
    assert refused.value.errors == [
        FieldError(("points", 1, "signal_id"), f"unknown signal {UNKNOWN}", "unknown_signal"),
        FieldError(
            ("points", 2, "signal_id"), f"unknown signal {world.other_signal_id}", "unknown_signal"
        ),
    ]
