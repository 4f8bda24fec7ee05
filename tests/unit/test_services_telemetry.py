"""Telemetry use cases: batch ingest, raw ranges with cursors, rollups, latest state."""

import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from assetwatch.domain import (
    InvalidInput,
    LatestPoint,
    Measurement,
    NotFound,
    PermissionDenied,
    Points,
    Reading,
    Role,
    Rollup,
)
from assetwatch.domain.types import utcnow
from assetwatch.services import assets, telemetry
from assetwatch.services.auth import Principal
from assetwatch.services.pagination import Page, instant_cursor
from tests.unit.fakes import World, build_world, state

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # a Monday, on the hour
SKEW = timedelta(minutes=5)


@pytest.fixture
async def world() -> World:
    return await build_world()


def point(signal_id: int, ts: datetime, value: float) -> Measurement:
    return Measurement(signal_id=signal_id, ts=ts, value=value)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def ingest(world: World, points: Sequence[Measurement], role: Role = Role.writer) -> int:
    batch = Points.of(points)
    return await telemetry.ingest(world.telemetry, world.caller(role), batch, max_future=SKEW)


# --- ingest ------------------------------------------------------------------------------------


async def test_a_batch_is_written_and_the_count_returned(world: World) -> None:
    batch = [
        point(world.temp_id, at(0), 80.5),
        point(world.temp_id, at(10), 81.0),
        point(world.fuel_id, at(0), 0.75),
    ]
    written = await ingest(world, batch)
    assert written == 3
    assert world.store.measurements == {
        (world.temp_id, at(0)): 80.5,
        (world.temp_id, at(10)): 81.0,
        (world.fuel_id, at(0)): 0.75,
    }


async def test_a_batch_is_one_write_whatever_its_size(world: World) -> None:
    points = [point(world.temp_id, at(i), i) for i in range(50)]
    points += [point(world.fuel_id, at(i), i) for i in range(50)]
    assert await ingest(world, points) == 100
    assert world.store.measurements == {(p.signal_id, p.ts): p.value for p in points}
    assert world.telemetry.writes == 1  # one statement, as the real store's


async def test_an_empty_batch_writes_nothing(world: World) -> None:
    before = state(world.store)
    assert await ingest(world, []) == 0
    assert state(world.store) == before


async def test_points_from_the_future_are_refused_by_index_and_nothing_is_written(
    world: World,
) -> None:
    now = utcnow()
    points = [
        point(world.temp_id, at(0), 1.0),
        point(world.temp_id, now + timedelta(hours=1), 2.0),
        point(world.temp_id, now + timedelta(minutes=4), 3.0),  # within the allowed skew
        point(world.fuel_id, now + timedelta(minutes=10), 4.0),
    ]
    before = state(world.store)

    with pytest.raises(InvalidInput) as caught:
        await ingest(world, points)

    assert [e.field for e in caught.value.errors] == [("points", 1, "ts"), ("points", 3, "ts")]
    assert {e.type for e in caught.value.errors} == {"future_timestamp"}
    assert state(world.store) == before


async def test_a_point_just_within_the_allowed_skew_is_accepted(world: World) -> None:
    ts = utcnow() + SKEW - timedelta(seconds=30)
    assert await ingest(world, [point(world.temp_id, ts, 1.0)]) == 1


async def test_the_allowed_skew_is_the_callers_setting(world: World) -> None:
    ts = utcnow() + timedelta(minutes=1)
    with pytest.raises(InvalidInput):
        await telemetry.ingest(
            world.telemetry,
            world.caller(),
            Points.of([point(world.temp_id, ts, 1.0)]),
            max_future=timedelta(0),
        )
    assert world.store.measurements == {}


async def test_unknown_and_foreign_signals_are_named_and_nothing_is_written(world: World) -> None:
    unknown = 999_999
    points = [
        point(world.temp_id, at(0), 1.0),
        point(world.other_signal_id, at(0), 2.0),
        point(unknown, at(0), 3.0),
        point(world.other_signal_id, at(1), 4.0),
        point(world.fuel_id, at(0), 5.0),
    ]
    before = state(world.store)

    with pytest.raises(InvalidInput) as caught:
        await ingest(world, points)

    error = caught.value
    assert str(world.other_signal_id) in error.detail
    assert str(unknown) in error.detail
    assert [(e.field, e.msg) for e in error.errors] == [
        (("points", 1, "signal_id"), f"unknown signal {world.other_signal_id}"),
        (("points", 2, "signal_id"), f"unknown signal {unknown}"),
    ]
    assert state(world.store) == before  # not even the valid points
    assert world.signal(world.temp_id).last_ts is None


async def test_a_signal_deleted_before_the_batch_is_unknown_and_nothing_is_written(
    world: World,
) -> None:
    """The store writes a batch all or nothing by itself: there is no unit of work to undo it."""
    await assets.delete_signal(world.uow, world.caller(), world.fuel_id)
    before = state(world.store)

    with pytest.raises(InvalidInput, match=str(world.fuel_id)):
        await ingest(world, [point(world.temp_id, at(0), 1.0), point(world.fuel_id, at(0), 2.0)])

    assert state(world.store) == before


async def test_a_repeated_point_in_a_batch_counts_once_and_the_last_one_wins(
    world: World,
) -> None:
    written = await ingest(
        world,
        [
            point(world.temp_id, at(0), 1.0),
            point(world.fuel_id, at(0), 7.0),
            point(world.temp_id, at(0), 2.0),
            point(world.temp_id, at(0).astimezone(timezone(timedelta(hours=2))), 3.0),
        ],
    )
    assert written == 2
    assert world.store.measurements == {(world.temp_id, at(0)): 3.0, (world.fuel_id, at(0)): 7.0}
    assert world.signal(world.temp_id).last_value == 3.0


async def test_re_sending_a_point_overwrites_it(world: World) -> None:
    await ingest(world, [point(world.temp_id, at(0), 1.0), point(world.temp_id, at(1), 1.5)])
    assert await ingest(world, [point(world.temp_id, at(0), 5.0)]) == 1
    assert world.store.measurements == {(world.temp_id, at(0)): 5.0, (world.temp_id, at(1)): 1.5}


async def test_re_sending_the_same_batch_leaves_the_same_points(world: World) -> None:
    batch = [point(world.temp_id, at(i), i * 1.5) for i in range(10)]
    await ingest(world, batch)
    once = state(world.store)
    assert await ingest(world, batch) == 10
    assert state(world.store) == once


async def test_the_latest_point_follows_the_newest_timestamp_of_a_batch(world: World) -> None:
    await ingest(world, [point(world.temp_id, at(20), 3.0), point(world.temp_id, at(5), 9.0)])
    signal = world.signal(world.temp_id)
    assert (signal.last_ts, signal.last_value) == (at(20), 3.0)


async def test_a_late_older_batch_does_not_move_the_latest_point_back(world: World) -> None:
    await ingest(world, [point(world.temp_id, at(10), 2.0)])
    await ingest(world, [point(world.temp_id, at(0), 1.0), point(world.fuel_id, at(0), 4.0)])

    temp, fuel = world.signal(world.temp_id), world.signal(world.fuel_id)
    assert (temp.last_ts, temp.last_value) == (at(10), 2.0)
    assert (fuel.last_ts, fuel.last_value) == (at(0), 4.0)
    assert world.store.measurements[(world.temp_id, at(0))] == 1.0  # stored all the same


async def test_a_newer_batch_moves_the_latest_point_forward(world: World) -> None:
    await ingest(world, [point(world.temp_id, at(0), 1.0)])
    await ingest(world, [point(world.temp_id, at(30), 6.0)])
    signal = world.signal(world.temp_id)
    assert (signal.last_ts, signal.last_value) == (at(30), 6.0)


async def test_re_sending_the_latest_point_updates_the_latest_value(world: World) -> None:
    await ingest(world, [point(world.temp_id, at(10), 2.0)])
    await ingest(world, [point(world.temp_id, at(10), 2.5)])
    assert world.signal(world.temp_id).last_value == 2.5


async def test_an_asset_read_shows_each_signals_latest_point(world: World) -> None:
    await ingest(world, [point(world.temp_id, at(0), 1.0), point(world.temp_id, at(9), 4.0)])
    asset = await assets.get_asset(world.uow, world.caller(Role.reader), world.asset_id)
    assert [(s.name, s.last_ts, s.last_value) for s in asset.signals] == [
        ("temp", at(9), 4.0),
        ("fuel", None, None),
    ]


# --- raw readings ------------------------------------------------------------------------------

# Irregular spacing, two points one microsecond apart, one point in another time zone.
STAMPS = [at(7 * i) for i in range(20)] + [at(7 * 5) + timedelta(microseconds=1), at(1000)]


@pytest.fixture
async def series(world: World) -> list[Reading]:
    """temp holds STAMPS; fuel and the other organisation's signal hold points in between."""
    points = [point(world.temp_id, ts, float(i)) for i, ts in enumerate(STAMPS)]
    points[3] = point(world.temp_id, STAMPS[3].astimezone(timezone(timedelta(hours=-5))), 3.0)
    await world.telemetry.write(world.org, Points.of(points))
    await world.telemetry.write(
        world.org, Points.of([point(world.fuel_id, at(7 * i + 1), -1.0) for i in range(5)])
    )
    await world.telemetry.write(
        world.other_org, Points.of([point(world.other_signal_id, at(3), -2.0)])
    )
    return sorted(
        (Reading(ts=p.ts.astimezone(UTC), value=p.value) for p in points), key=lambda r: r["ts"]
    )


async def read(
    world: World,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    descending: bool = False,
    limit: int = 1000,
    cursor: str | None = None,
    signal_id: int | None = None,
    caller: Principal | None = None,
) -> Page[Reading]:
    return await telemetry.readings(
        world.telemetry,
        caller or world.caller(Role.reader),
        world.temp_id if signal_id is None else signal_id,
        start=start,
        end=end,
        descending=descending,
        limit=limit,
        cursor=cursor,
    )


async def walk(world: World, *, limit: int, **window: Any) -> tuple[list[Reading], int]:
    """Every page, following next_cursor: the points served and the number of pages."""
    seen: list[Reading] = []
    cursor, pages = None, 0
    while True:
        page = await read(world, limit=limit, cursor=cursor, **window)
        pages += 1
        assert len(page.items) <= limit
        seen += page.items
        if page.next_cursor is None:
            return seen, pages
        assert page.items, "a page with a next cursor has items"
        cursor = page.next_cursor
        assert pages <= len(STAMPS) + 1, "pagination does not end"


async def test_a_range_is_half_open_and_oldest_first(world: World, series: list[Reading]) -> None:
    page = await read(world, start=at(14), end=at(35))
    assert [r["ts"] for r in page.items] == [at(14), at(21), at(28)]
    assert page.next_cursor is None


async def test_newest_first_on_request(world: World, series: list[Reading]) -> None:
    page = await read(world, start=at(14), end=at(35), descending=True)
    assert [r["ts"] for r in page.items] == [at(28), at(21), at(14)]


async def test_readings_are_only_the_signals_own(world: World, series: list[Reading]) -> None:
    page = await read(world)
    assert page.items == series


async def test_a_limit_cuts_the_page_and_offers_a_cursor(
    world: World, series: list[Reading]
) -> None:
    page = await read(world, limit=4)
    assert page.items == series[:4]
    assert page.next_cursor is not None


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 2, 3, 5, 7, len(STAMPS) - 1, len(STAMPS), len(STAMPS) + 1])
async def test_following_cursors_serves_every_point_exactly_once(
    world: World, series: list[Reading], descending: bool, limit: int
) -> None:
    seen, pages = await walk(world, limit=limit, descending=descending)
    assert seen == (series[::-1] if descending else series)
    assert pages == math.ceil(len(series) / limit)  # no trailing empty page


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize(
    ("start", "end"),
    [
        (at(14), at(70)),
        (at(35), None),
        (None, at(36)),
        (at(35), at(35) + timedelta(microseconds=2)),
    ],
)
async def test_following_cursors_keeps_within_the_range(
    world: World,
    series: list[Reading],
    descending: bool,
    start: datetime | None,
    end: datetime | None,
) -> None:
    expected = [
        r for r in series if (start is None or r["ts"] >= start) and (end is None or r["ts"] < end)
    ]
    seen, _ = await walk(world, limit=2, descending=descending, start=start, end=end)
    assert seen == (expected[::-1] if descending else expected)


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
async def test_a_cursor_resumes_after_its_point_in_the_order_asked(
    world: World, series: list[Reading], descending: bool
) -> None:
    first = await read(world, limit=3, descending=descending)
    assert first.next_cursor is not None
    last_served = first.items[-1]["ts"]
    turned = await read(world, limit=3, descending=not descending, cursor=first.next_cursor)
    expected = [
        r for r in series if (r["ts"] > last_served if descending else r["ts"] < last_served)
    ]
    assert turned.items == (expected if descending else expected[::-1])[:3]


TAMPERED_CURSORS = {
    "garbage": "%%%not a cursor%%%",
    "non-ascii": "curs\u00f6r",
    "empty": "",
    "a timestamp": "2026-03-02T08:00:00Z",
    "a fraction": "1.5",
    "the old base64 form": "eyJhZnRlcl90cyI6IjIwMjYtMTEtMjJUMDg6MDA6MTBaIn0",
}


@pytest.mark.parametrize("cursor", TAMPERED_CURSORS.values(), ids=TAMPERED_CURSORS.keys())
async def test_a_tampered_cursor_is_invalid_input(world: World, cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await read(world, cursor=cursor)
    assert [e.field for e in caught.value.errors] == [("cursor",)]


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
async def test_a_cursor_past_the_end_of_time_reads_as_the_end(
    world: World, series: list[Reading], descending: bool
) -> None:
    page = await read(world, cursor="9" * 19, descending=descending)
    assert page.items == (series[::-1] if descending else [])


async def test_a_forged_but_well_formed_cursor_only_moves_the_position(
    world: World, series: list[Reading]
) -> None:
    page = await read(world, cursor=instant_cursor(at(120)))
    assert page.items == [r for r in series if r["ts"] > at(120)]


@pytest.mark.parametrize(("start", "end"), [(at(10), at(10)), (at(10), at(0))])
async def test_a_range_that_does_not_start_before_it_ends_is_refused(
    world: World, start: datetime, end: datetime
) -> None:
    with pytest.raises(InvalidInput):
        await read(world, start=start, end=end)


async def test_readings_of_an_unknown_signal_are_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await read(world, signal_id=999_999)


# --- rollups -----------------------------------------------------------------------------------


async def rollups(
    world: World, bucket: str, start: datetime, end: datetime, signal_id: int | None = None
) -> Sequence[Rollup]:
    return await telemetry.rollups(
        world.telemetry,
        world.caller(Role.reader),
        world.temp_id if signal_id is None else signal_id,
        bucket=bucket,
        start=start,
        end=end,
    )


@pytest.fixture
async def hourly(world: World) -> None:
    """temp: two points in the 08:00 hour, one at 09:00 sharp, one at 10:30, one at 11:00."""
    await world.telemetry.write(
        world.org,
        Points.of(
            [
                point(world.temp_id, at(0), 1.0),
                point(world.temp_id, at(3599), 3.0),
                point(world.temp_id, at(3600), 10.0),
                point(world.temp_id, at(9000), 5.0),
                point(world.temp_id, at(10800), 99.0),
                point(world.fuel_id, at(60), 1000.0),
            ]
        ),
    )


async def test_hourly_rollups_count_min_max_avg_per_bucket(world: World, hourly: None) -> None:
    rows = await rollups(world, "1h", at(0), at(10800))  # 11:00 excluded
    assert rows == [
        Rollup(at(0), 2, 1.0, 3.0, 2.0),
        Rollup(at(3600), 1, 10.0, 10.0, 10.0),
        Rollup(at(7200), 1, 5.0, 5.0, 5.0),
    ]


async def test_buckets_align_on_the_hour_not_on_the_start(world: World, hourly: None) -> None:
    rows = await rollups(world, "1h", at(1800), at(7200))
    assert rows == [Rollup(at(0), 1, 3.0, 3.0, 3.0), Rollup(at(3600), 1, 10.0, 10.0, 10.0)]


@pytest.mark.parametrize(
    ("bucket", "starts"),
    [
        ("30s", [at(0), at(3570), at(3600), at(9000)]),
        ("1m", [at(0), at(3540), at(3600), at(9000)]),
        ("15m", [at(0), at(2700), at(3600), at(9000)]),
        ("1h", [at(0), at(3600), at(7200)]),
        ("1d", [datetime(2026, 3, 2, tzinfo=UTC)]),
    ],
)
async def test_valid_buckets(
    world: World, hourly: None, bucket: str, starts: list[datetime]
) -> None:
    rows = await rollups(world, bucket, at(0), at(10800))
    assert [r.bucket_start for r in rows] == starts
    assert sum(r.count for r in rows) == 4


@pytest.mark.parametrize("bucket", ["0m", "1w", "-1h", "", "h", "1", "1.5h", "1H", "1 h", "60"])
async def test_invalid_buckets_are_refused(world: World, bucket: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await rollups(world, bucket, at(0), at(3600))
    assert [e.field for e in caught.value.errors] == [("bucket",)]


@pytest.mark.parametrize(
    ("bucket", "span"),
    [
        ("1m", timedelta(minutes=10_001)),
        ("30s", timedelta(seconds=30 * 10_001)),
        ("1s", timedelta(hours=3)),  # 10,800 one-second buckets
        ("1h", timedelta(days=500)),
    ],
)
async def test_more_than_ten_thousand_buckets_are_refused(
    world: World, bucket: str, span: timedelta
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await rollups(world, bucket, at(0), at(0) + span)
    assert [e.type for e in caught.value.errors] == ["bucket_count"]


async def test_a_range_of_fewer_than_ten_thousand_buckets_is_served(world: World) -> None:
    assert await rollups(world, "1m", at(30), at(30) + timedelta(minutes=9_999)) == []


async def test_exactly_ten_thousand_aligned_buckets_are_served(world: World) -> None:
    assert await rollups(world, "1m", at(0), at(0) + timedelta(minutes=10_000)) == []


@pytest.mark.parametrize(("start", "end"), [(at(60), at(60)), (at(60), at(0))])
async def test_rollups_need_start_before_end(world: World, start: datetime, end: datetime) -> None:
    with pytest.raises(InvalidInput):
        await rollups(world, "1m", start, end)


async def test_rollups_of_an_unknown_signal_are_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await rollups(world, "1h", at(0), at(3600), signal_id=999_999)


# --- latest ------------------------------------------------------------------------------------


async def test_latest_lists_every_signal_with_its_latest_point_or_none(world: World) -> None:
    await ingest(world, [point(world.temp_id, at(0), 1.0), point(world.temp_id, at(60), 2.0)])
    await ingest(world, [point(world.temp_id, at(30), 9.0)])  # late, older

    points = await telemetry.latest(world.telemetry, world.caller(Role.reader), world.asset_id)

    assert list(points) == [
        LatestPoint(world.temp_id, "temp", "u", at(60), 2.0),
        LatestPoint(world.fuel_id, "fuel", "u", None, None),
    ]


async def test_latest_of_an_asset_without_signals_is_empty(world: World) -> None:
    asset = await assets.create_asset(world.uow, world.caller(), {"name": "Bare"})
    assert asset.id is not None
    assert list(await telemetry.latest(world.telemetry, world.caller(), asset.id)) == []


async def test_latest_of_an_unknown_asset_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await telemetry.latest(world.telemetry, world.caller(), 999_999)


# --- tenancy -----------------------------------------------------------------------------------


async def test_another_organisations_signal_has_no_readings_for_us(world: World) -> None:
    with pytest.raises(NotFound):
        await read(world, signal_id=world.other_signal_id, caller=world.caller(Role.admin))


async def test_another_organisations_signal_has_no_rollups_for_us(world: World) -> None:
    with pytest.raises(NotFound):
        await rollups(world, "1h", at(0), at(3600), signal_id=world.other_signal_id)


async def test_another_organisations_asset_has_no_latest_for_us(world: World) -> None:
    with pytest.raises(NotFound):
        await telemetry.latest(world.telemetry, world.caller(Role.admin), world.other_asset_id)


async def test_our_signals_are_unknown_to_another_organisation(world: World) -> None:
    with pytest.raises(InvalidInput, match=str(world.temp_id)):
        await telemetry.ingest(
            world.telemetry,
            world.outsider(),
            Points.of([point(world.temp_id, at(0), 1.0)]),
            max_future=SKEW,
        )
    assert world.store.measurements == {}


# --- roles -------------------------------------------------------------------------------------

UseCase = Callable[[World, Principal], Awaitable[object]]

USE_CASES: dict[str, tuple[Role, UseCase]] = {
    "ingest": (
        Role.writer,
        lambda w, c: telemetry.ingest(
            w.telemetry, c, Points.of([point(w.temp_id, at(0), 1.0)]), max_future=SKEW
        ),
    ),
    "readings": (
        Role.reader,
        lambda w, c: telemetry.readings(
            w.telemetry, c, w.temp_id, start=None, end=None, descending=False, limit=10, cursor=None
        ),
    ),
    "rollups": (
        Role.reader,
        lambda w, c: telemetry.rollups(
            w.telemetry, c, w.temp_id, bucket="1h", start=at(0), end=at(60)
        ),
    ),
    "latest": (Role.reader, lambda w, c: telemetry.latest(w.telemetry, c, w.asset_id)),
}
ALLOWED = {
    Role.reader: {Role.reader},
    Role.writer: {Role.reader, Role.writer},
    Role.admin: {Role.reader, Role.writer, Role.admin},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("use_case", USE_CASES)
async def test_each_telemetry_use_case_needs_its_role(
    world: World, use_case: str, role: Role
) -> None:
    required, call = USE_CASES[use_case]
    before = state(world.store)
    if required in ALLOWED[role]:
        await call(world, world.caller(role))
    else:
        with pytest.raises(PermissionDenied, match=required.value):
            await call(world, world.caller(role))
        assert state(world.store) == before


async def test_a_reader_cannot_ingest_even_a_valid_batch(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await ingest(world, [point(world.temp_id, at(0), 1.0)], role=Role.reader)
    assert world.store.measurements == {}
