"""The maintenance worker's parts end to end: retention, deletes, partitions, the worker lock,
crash safety, a whole cycle, and migration 0005 with data in it.

The first tests run on the rolled-back test database through the API (`client`, `driver`); those
that need committed data, other sessions or the migrations run on `fresh_database_url`. Time is
real (the database's now()), so points are placed relative to it, hours away from any edge.
"""

import asyncio
import struct
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client import REGISTRY
from psycopg import AsyncConnection, sql
from sqlalchemy import make_url

from assetwatch.config import Settings
from assetwatch.db import compaction, maintenance, migrations, partitions, recent_slots, retention
from assetwatch.db.compaction import CHUNK, micros
from assetwatch.db.partitions import floor_hour, partition_name
from assetwatch.domain.readings import BUCKET_ORIGIN
from assetwatch.encoding import segment
from tests.integration.api.conftest import Fleet, Tenant, create_fleet
from tests.integration.storage.conftest import set_compacted_through

Point = tuple[int, int, str]  # signal id, µs since the epoch, the value's bits (float.hex)


def stamp(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def bits(value: float) -> str:
    """The float exactly: -0.0 and 0.0 differ, as they do in storage."""
    return float.hex(value)


async def write(client: httpx.AsyncClient, tenant: Tenant, points: list[dict[str, Any]]) -> None:
    response = await client.post("/v1/measurements", json={"points": points}, headers=tenant.auth())
    assert response.status_code == 200, response.text


async def scalar(conn: AsyncConnection[Any], query: Any, params: Any = None) -> Any:
    cursor = await conn.execute(query, params)
    row = await cursor.fetchone()
    assert row is not None
    return row[0]


_OF = sql.SQL("WHERE %(ids)s::bigint[] IS NULL OR signal_id = ANY(%(ids)s::bigint[])")
HOT_ROWS = sql.SQL("SELECT signal_id, ts, value FROM measurements {}").format(_OF)
SEGMENTS = sql.SQL("SELECT signal_id, points FROM segments {}").format(_OF)
COUNTS = {
    table: sql.SQL("SELECT count(*) FROM {} WHERE signal_id = ANY(%s)").format(
        sql.Identifier(table)
    )
    for table in ("measurements", "segments")
}


async def stored(
    conn: AsyncConnection[Any], signal_ids: Iterable[int] | None = None
) -> list[Point]:
    """Every point of those signals (all when None): hot rows and decoded segments, sorted,
    duplicates kept (a point stored twice shows twice)."""
    ids = {"ids": None if signal_ids is None else list(signal_ids)}
    points = [
        (sid, micros(ts), bits(value))
        for sid, ts, value in await (await conn.execute(HOT_ROWS, ids)).fetchall()
    ]
    for sid, blob in await (await conn.execute(SEGMENTS, ids)).fetchall():
        ts, values = segment.decode(bytes(blob))
        points.extend((sid, int(t), bits(float(v))) for t, v in zip(ts, values, strict=True))
    return sorted(points)


async def count(conn: AsyncConnection[Any], table: str, signal_ids: Iterable[int]) -> int:
    value: int = await scalar(conn, COUNTS[table], (list(signal_ids),))
    return value


# --- (a) retention, set through the API ----------------------------------------------------------


def _two_days_ago() -> datetime:
    return floor_hour(datetime.now(UTC) - timedelta(days=2))


def _hour_of_points(fleet: Fleet, hour: datetime) -> list[dict[str, Any]]:
    return [
        {"signal_id": sid, "ts": stamp(hour + timedelta(minutes=m)), "value": m + k / 10}
        for k, sid in enumerate(fleet.signal_ids)
        for m in range(0, 60, 5)
    ]


async def _everything_read(client: httpx.AsyncClient, tenant: Tenant, fleet: Fleet) -> Any:
    hour = _two_days_ago()
    window = {"bucket": "1h", "start": stamp(hour - CHUNK), "end": stamp(hour + 2 * CHUNK)}
    reads: dict[str, Any] = {}
    for sid in fleet.signal_ids:
        for name, url, params in (
            ("raw", f"/v1/signals/{sid}/measurements", {}),
            ("rollups", f"/v1/signals/{sid}/rollups", window),
        ):
            response = await client.get(url, params=params, headers=tenant.auth())
            assert response.status_code == 200, response.text
            reads[f"{name} {sid}"] = response.json()["items"]
    latest = await client.get(f"/v1/assets/{fleet.asset_id}/latest", headers=tenant.auth())
    assert latest.status_code == 200, latest.text
    reads["latest"] = [(s["ts"], s["value"]) for s in latest.json()["signals"]]
    return reads


@pytest.fixture
async def two_fleets(
    client: httpx.AsyncClient, acme: Tenant, globex: Tenant, fleet: Fleet, driver: Any
) -> tuple[Fleet, Fleet]:
    """Acme's fleet and Globex's, the same points two days ago in both, compacted."""
    theirs = await create_fleet(client, globex)
    hour = _two_days_ago()
    await write(client, acme, _hour_of_points(fleet, hour))
    await write(client, globex, _hour_of_points(theirs, hour))
    await set_compacted_through(driver, hour)
    done = await compaction.compact_hour(driver, hour + CHUNK)
    assert done is not None
    assert (done.points, done.segments) == (48, 4)
    return fleet, theirs


async def _put_retention(client: httpx.AsyncClient, tenant: Tenant, days: int | None) -> None:
    response = await client.put("/v1/retention", json={"days": days}, headers=tenant.auth())
    assert response.status_code == 200, response.text


async def test_retention_set_through_the_api_expires_an_organisations_old_segments(
    client: httpx.AsyncClient,
    acme: Tenant,
    globex: Tenant,
    two_fleets: tuple[Fleet, Fleet],
    driver: Any,
) -> None:
    mine, theirs = two_fleets
    kept = await _everything_read(client, globex, theirs)
    assert kept["latest"][0][0] is not None
    assert len(kept[f"raw {theirs.signal_ids[0]}"]) == 12
    await _put_retention(client, acme, 1)

    expired = await retention.expire(driver, None)

    assert (expired.segments, expired.latest) == (2, 2)
    assert await count(driver, "segments", mine.signal_ids) == 0
    gone = await _everything_read(client, acme, mine)
    assert all(items == [] for name, items in gone.items() if name != "latest"), gone
    assert gone["latest"] == [(None, None), (None, None)]
    # Globex set nothing and the default is forever: its identical data is all there.
    assert await count(driver, "segments", theirs.signal_ids) == 2
    assert await _everything_read(client, globex, theirs) == kept


async def test_a_retention_longer_than_the_datas_age_keeps_it(
    client: httpx.AsyncClient, acme: Tenant, two_fleets: tuple[Fleet, Fleet], driver: Any
) -> None:
    mine, _ = two_fleets
    before = await _everything_read(client, acme, mine)
    await _put_retention(client, acme, 3)

    assert await retention.expire(driver, 1) == retention.Expired(2, 2)  # Globex inherits 1 day

    assert await _everything_read(client, acme, mine) == before


async def test_an_organisation_without_its_own_retention_follows_the_default(
    client: httpx.AsyncClient,
    acme: Tenant,
    globex: Tenant,
    two_fleets: tuple[Fleet, Fleet],
    driver: Any,
) -> None:
    mine, theirs = two_fleets
    await _put_retention(client, globex, 30)
    kept = await _everything_read(client, globex, theirs)

    await retention.expire(driver, 1)

    assert await count(driver, "segments", mine.signal_ids) == 0
    assert (await _everything_read(client, acme, mine))["latest"] == [(None, None)] * 2
    assert await _everything_read(client, globex, theirs) == kept


async def test_with_no_retention_anywhere_nothing_is_deleted(
    client: httpx.AsyncClient,
    acme: Tenant,
    globex: Tenant,
    two_fleets: tuple[Fleet, Fleet],
    driver: Any,
) -> None:
    mine, theirs = two_fleets
    await _put_retention(client, acme, 1)
    await _put_retention(client, acme, None)  # back to the default: forever
    before = [await _everything_read(client, t, f) for t, f in ((acme, mine), (globex, theirs))]
    segments = await stored(driver, [*mine.signal_ids, *theirs.signal_ids])

    assert await retention.expire(driver, None) == retention.Expired(0, 0)

    assert await stored(driver, [*mine.signal_ids, *theirs.signal_ids]) == segments
    after = [await _everything_read(client, t, f) for t, f in ((acme, mine), (globex, theirs))]
    assert after == before


# --- (b) a deleted signal or asset takes its segments and hot rows along ----------------------


@pytest.fixture
async def compacted_and_hot(
    client: httpx.AsyncClient, acme: Tenant, globex: Tenant, fleet: Fleet, driver: Any
) -> tuple[Fleet, Fleet]:
    """Acme's fleet and Globex's: one hour compacted into segments, the next still hot rows."""
    theirs = await create_fleet(client, globex)
    hour = _two_days_ago()
    for tenant, f in ((acme, fleet), (globex, theirs)):
        await write(client, tenant, _hour_of_points(f, hour) + _hour_of_points(f, hour + CHUNK))
    await set_compacted_through(driver, hour)
    assert await compaction.compact_hour(driver, hour + CHUNK) is not None
    for f in (fleet, theirs):
        assert await count(driver, "segments", f.signal_ids) == 2
        assert await count(driver, "measurements", f.signal_ids) == 24
    return fleet, theirs


async def test_deleting_a_signal_removes_its_segments_and_hot_rows(
    client: httpx.AsyncClient,
    acme: Tenant,
    compacted_and_hot: tuple[Fleet, Fleet],
    driver: Any,
) -> None:
    mine, theirs = compacted_and_hot
    doomed, kept = mine.signal_ids
    others = await stored(driver, [kept, *theirs.signal_ids])

    response = await client.delete(f"/v1/signals/{doomed}", headers=acme.auth())

    assert response.status_code == 204
    assert await count(driver, "segments", [doomed]) == 0
    assert await count(driver, "measurements", [doomed]) == 0
    assert await stored(driver, [kept, *theirs.signal_ids]) == others


async def test_deleting_an_asset_removes_its_signals_segments_and_hot_rows(
    client: httpx.AsyncClient,
    acme: Tenant,
    compacted_and_hot: tuple[Fleet, Fleet],
    driver: Any,
) -> None:
    mine, theirs = compacted_and_hot
    others = await stored(driver, theirs.signal_ids)

    response = await client.delete(f"/v1/assets/{mine.asset_id}", headers=acme.auth())

    assert response.status_code == 204
    assert await count(driver, "segments", mine.signal_ids) == 0
    assert await count(driver, "measurements", mine.signal_ids) == 0
    assert await stored(driver, theirs.signal_ids) == others


# --- (c) hourly partitions ---------------------------------------------------------------------


async def _partitions(driver: Any) -> set[str]:
    cursor = await driver.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'measurements'::regclass"
    )
    return {name for (name,) in await cursor.fetchall()}


async def _where_stored(driver: Any, signal_id: int) -> list[str]:
    cursor = await driver.execute(
        "SELECT tableoid::regclass::text FROM measurements WHERE signal_id = %s ORDER BY ts",
        (signal_id,),
    )
    return [name for (name,) in await cursor.fetchall()]


@pytest.fixture
async def attached(driver: Any) -> datetime:
    """An hour two days back, with partitions made for it and the three after it (the hours
    are in the past, so that nothing here depends on when the test runs)."""
    hour = _two_days_ago()
    made = await partitions.create_ahead(
        driver, hour + timedelta(minutes=20), timedelta(hours=3), lock_timeout_ms=1000
    )
    assert made == 4
    return hour


async def test_partitions_are_attached_ahead_and_take_their_hours_points(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, driver: Any, attached: datetime
) -> None:
    hours = [attached + i * CHUNK for i in range(4)]
    names = {partition_name(h) for h in hours}
    assert names == {f"measurements_p{h:%Y%m%d%H}" for h in hours}
    assert await _partitions(driver) == names | {"measurements_default"}
    assert await partitions.hourly_partitions(driver) == hours
    again = await partitions.create_ahead(
        driver, attached, timedelta(hours=3), lock_timeout_ms=1000
    )
    assert again == 0

    sid = fleet.signal_ids[0]
    await write(
        client,
        acme,
        [
            {"signal_id": sid, "ts": stamp(attached - timedelta(seconds=1)), "value": 1.0},
            {"signal_id": sid, "ts": stamp(attached), "value": 2.0},
            {"signal_id": sid, "ts": stamp(attached + timedelta(minutes=61)), "value": 3.0},
            {"signal_id": sid, "ts": stamp(attached + timedelta(hours=4)), "value": 4.0},
        ],
    )
    assert await _where_stored(driver, sid) == [
        "measurements_default",
        partition_name(attached),
        partition_name(attached + CHUNK),
        "measurements_default",
    ]


async def test_a_compacted_partition_is_dropped_once_empty_a_late_row_keeps_it_meanwhile(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, driver: Any, attached: datetime
) -> None:
    sid = fleet.signal_ids[0]
    name = partition_name(attached)
    at = [attached + timedelta(minutes=m) for m in (10, 30, 50)]
    await write(client, acme, [{"signal_id": sid, "ts": stamp(at[0]), "value": 1.0}])
    assert await _where_stored(driver, sid) == [name]
    await set_compacted_through(driver, attached)
    assert await compaction.compact_hour(driver, attached + CHUNK) is not None

    # A late point of the compacted hour arrives before the partition is dropped.
    await write(client, acme, [{"signal_id": sid, "ts": stamp(at[1]), "value": 2.0}])
    assert await _where_stored(driver, sid) == [name]
    assert await partitions.drop_compacted(driver, attached + CHUNK, lock_timeout_ms=100) == 0
    assert name in await _partitions(driver)

    merged = await compaction.compact_late(driver)
    assert (merged.points, merged.segments) == (1, 1)
    assert await partitions.drop_compacted(driver, attached + CHUNK, lock_timeout_ms=100) == 1
    remaining = await _partitions(driver)
    assert name not in remaining
    assert partition_name(attached + CHUNK) in remaining  # not compacted: kept
    assert await scalar(driver, "SELECT to_regclass(%s)", (name,)) is None
    assert [v for _, _, v in await stored(driver, [sid])] == [bits(1.0), bits(2.0)]

    # The next point of that hour goes to the default partition, and all three are read.
    await write(client, acme, [{"signal_id": sid, "ts": stamp(at[2]), "value": 3.0}])
    assert await _where_stored(driver, sid) == ["measurements_default"]
    response = await client.get(f"/v1/signals/{sid}/measurements", headers=acme.auth())
    assert [p["value"] for p in response.json()["items"]] == [1.0, 2.0, 3.0]


# --- fresh, committed databases: the worker, crashes, a whole cycle, the migration --------------


def conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def connect(url: str) -> AsyncConnection[Any]:
    return await AsyncConnection.connect(conninfo(url), autocommit=True, options="-c timezone=UTC")


async def seed_signals(conn: AsyncConnection[Any], count: int = 2) -> list[int]:
    org = await scalar(
        conn, "INSERT INTO organizations (slug, name) VALUES ('acme', 'Acme') RETURNING id"
    )
    asset = await scalar(
        conn,
        "INSERT INTO assets (organization_id, name, kind) VALUES (%s, 'Tractor', 'tractor') "
        "RETURNING id",
        (org,),
    )
    cursor = await conn.execute(
        "INSERT INTO signals (asset_id, name) SELECT %s, 'signal ' || g "
        "FROM generate_series(1, %s) AS g ORDER BY g RETURNING id",
        (asset, count),
    )
    return sorted(sid for (sid,) in await cursor.fetchall())


def series(
    signal_ids: list[int], start: datetime, end: datetime, step: timedelta
) -> list[tuple[int, datetime, float]]:
    """Points of every signal from `start` to before `end`, `step` apart."""
    points = []
    for k, sid in enumerate(signal_ids):
        ts, i = start, 0
        while ts < end:
            points.append((sid, ts, round(20 + k + (i % 37) * 0.25, 2)))
            ts += step
            i += 1
    return points


async def insert(conn: AsyncConnection[Any], points: list[tuple[int, datetime, float]]) -> None:
    sids, stamps, values = (list(column) for column in zip(*points, strict=True))
    await conn.execute(
        "INSERT INTO measurements (signal_id, ts, value) "
        "SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::float8[])",
        (sids, stamps, values),
    )


def as_stored(points: list[tuple[int, datetime, float]]) -> list[Point]:
    return sorted((sid, micros(ts), bits(value)) for sid, ts, value in points)


async def db_now(conn: AsyncConnection[Any]) -> datetime:
    now: datetime = await scalar(conn, "SELECT now()")
    return now


@pytest.fixture
def worker_settings(settings: Settings, fresh_database_url: str) -> Settings:
    return settings.model_copy(update={"database_url": fresh_database_url, "retention_days": None})


@pytest.fixture
async def past_hour(
    fresh_database_url: str,
) -> tuple[datetime, list[tuple[int, datetime, float]]]:
    """A migrated database with two signals' points over one hour five hours ago, compaction
    standing at that hour."""
    migrations.upgrade(fresh_database_url)
    conn = await connect(fresh_database_url)
    async with conn:
        sids = await seed_signals(conn)
        hour = floor_hour(await db_now(conn)) - 5 * CHUNK
        points = series(sids, hour, hour + CHUNK, timedelta(seconds=30))
        await insert(conn, points)
        await set_compacted_through(conn, hour)
    return hour, points


# --- (d) one worker at a time; a compaction killed half-way ------------------------------------


async def test_a_worker_does_nothing_while_another_session_holds_the_lock(
    fresh_database_url: str,
    worker_settings: Settings,
    past_hour: tuple[datetime, list[tuple[int, datetime, float]]],
) -> None:
    hour, points = past_hour
    holder = await connect(fresh_database_url)
    async with holder:
        await holder.execute("SELECT pg_advisory_lock(%s)", (maintenance.LOCK_KEY,))
        try:
            await asyncio.wait_for(
                maintenance.run_worker(
                    fresh_database_url, worker_settings, asyncio.Event(), once=True
                ),
                timeout=5,
            )
            assert await compaction.compacted_through(holder) == hour
            assert await scalar(holder, "SELECT count(*) FROM segments") == 0
            assert await scalar(holder, "SELECT count(*) FROM measurements") == len(points)
        finally:
            await holder.execute("SELECT pg_advisory_unlock(%s)", (maintenance.LOCK_KEY,))
    # The lock is free: now a worker runs.
    await maintenance.run_worker(fresh_database_url, worker_settings, asyncio.Event(), once=True)
    conn = await connect(fresh_database_url)
    async with conn:
        assert await compaction.compacted_through(conn) > hour
        assert await scalar(conn, "SELECT count(*) FROM measurements") == 0
        assert await stored(conn) == as_stored(points)


async def test_of_two_workers_started_together_exactly_one_runs_a_cycle(
    fresh_database_url: str,
    worker_settings: Settings,
    past_hour: tuple[datetime, list[tuple[int, datetime, float]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, points = past_hour
    attempts: list[bool] = []
    cycles: list[maintenance.Cycle] = []
    both_tried = asyncio.Event()
    try_lock, run_cycle = maintenance._try_lock, maintenance.run_cycle

    async def counted_try_lock(conn: AsyncConnection[Any]) -> bool:
        got = await try_lock(conn)
        attempts.append(got)
        if len(attempts) == 2:
            both_tried.set()
        return got

    async def cycle_once_both_tried(conn: AsyncConnection[Any], settings: Settings) -> Any:
        # Hold the lock until the other worker has tried for it: they really overlap.
        await asyncio.wait_for(both_tried.wait(), timeout=5)
        cycles.append(await run_cycle(conn, settings))
        return cycles[-1]

    monkeypatch.setattr(maintenance, "_try_lock", counted_try_lock)
    monkeypatch.setattr(maintenance, "run_cycle", cycle_once_both_tried)

    await asyncio.wait_for(
        asyncio.gather(
            *(
                maintenance.run_worker(
                    fresh_database_url, worker_settings, asyncio.Event(), once=True
                )
                for _ in range(2)
            )
        ),
        timeout=10,
    )

    assert sorted(attempts) == [False, True]
    assert len(cycles) == 1
    assert cycles[0].points == len(points)
    conn = await connect(fresh_database_url)
    async with conn:
        assert await stored(conn) == as_stored(points)  # compacted once, nothing twice


@pytest.mark.parametrize("death", ["backend terminated", "worker raised"])
async def test_a_compaction_killed_half_way_loses_nothing_and_duplicates_nothing(
    fresh_database_url: str,
    past_hour: tuple[datetime, list[tuple[int, datetime, float]]],
    monkeypatch: pytest.MonkeyPatch,
    death: str,
) -> None:
    hour, points = past_hour
    victim = await connect(fresh_database_url)
    pid = victim.info.backend_pid
    encode = segment.encode
    encoded: list[int] = []

    def dying_encode(ts: Any, values: Any) -> bytes:
        # Called after the hour's rows were deleted (in the step's transaction), before the
        # segments are written and compacted_through moves.
        encoded.append(len(ts))
        if death == "worker raised":
            raise RuntimeError("killed half-way")
        if len(encoded) == 1:
            with psycopg.connect(conninfo(fresh_database_url), autocommit=True) as killer:
                killed = killer.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
                assert killed.fetchone() == (True,)
        return encode(ts, values)

    monkeypatch.setattr(segment, "encode", dying_encode)
    with pytest.raises((psycopg.OperationalError, RuntimeError)):
        await compaction.compact_hour(victim, hour + CHUNK)
    await victim.close()
    monkeypatch.setattr(segment, "encode", encode)
    assert encoded, "the step was killed before it took any point"

    conn = await connect(fresh_database_url)
    async with conn:
        assert await compaction.compacted_through(conn) == hour
        assert await scalar(conn, "SELECT count(*) FROM segments") == 0
        assert await stored(conn) == as_stored(points)

        done = await compaction.compact_hour(conn, hour + CHUNK)

        assert done is not None
        assert (done.points, done.segments) == (len(points), 2)
        assert await compaction.compacted_through(conn) == hour + CHUNK
        assert await scalar(conn, "SELECT count(*) FROM measurements") == 0
        assert await stored(conn) == as_stored(points)


# --- (e) a whole cycle ---------------------------------------------------------------------------


def _lag_gauge() -> float | None:
    return REGISTRY.get_sample_value("assetwatch_worker_compaction_lag_seconds")


async def test_a_cycle_compacts_every_closed_hour_out_of_the_hot_window_then_has_nothing_to_do(
    fresh_database_url: str, worker_settings: Settings
) -> None:
    migrations.upgrade(fresh_database_url)
    hot_window = timedelta(seconds=worker_settings.storage_hot_window_seconds)
    conn = await connect(fresh_database_url)
    async with conn:
        sids = await seed_signals(conn, 3)
        now = await db_now(conn)
        start = floor_hour(now) - 6 * CHUNK
        points = series(sids, start, now - timedelta(seconds=5), timedelta(minutes=3))
        await insert(conn, points)
        await set_compacted_through(conn, start)  # as migration 0005 would have set it

        first = await maintenance.run_cycle(conn, worker_settings)

        horizon = floor_hour(await db_now(conn) - hot_window)
        through = await compaction.compacted_through(conn)
        assert through == horizon
        assert first.hours == (horizon - start) // CHUNK
        older = [p for p in points if p[1] < horizon]
        assert first.points == len(older)
        assert first.segments == len(sids) * first.hours
        assert first.lag == timedelta(0)
        assert first.expired == 0
        assert _lag_gauge() == 0
        assert (
            await scalar(conn, "SELECT count(*) FROM measurements WHERE ts < %s", (horizon,)) == 0
        )
        assert await scalar(conn, "SELECT count(*) FROM measurements") == len(points) - len(older)
        assert await scalar(conn, "SELECT sum(count) FROM segments") == len(older)
        assert await stored(conn) == as_stored(points)
        ahead = await partitions.hourly_partitions(conn)
        assert ahead, "partitions are made ahead"
        assert all(h >= floor_hour(now) for h in ahead)
        # The hot rows' slots that ended five minutes ago are sealed and summed up.
        sealed = await scalar(conn, "SELECT sealed_through FROM slot_seal")
        assert sealed in {recent_slots.seal_time(now), recent_slots.seal_time(await db_now(conn))}
        assert await scalar(conn, "SELECT summarised_through FROM storage_state") == sealed
        slots: dict[tuple[int, datetime], list[float]] = {}
        for sid, ts, value in points:
            if horizon <= ts < sealed:
                slot = ts - (ts - BUCKET_ORIGIN) % recent_slots.SLOT
                slots.setdefault((sid, slot), []).append(value)
        cursor = await conn.execute("SELECT signal_id, slot, count, min, max FROM recent_slots")
        assert {(sid, slot): (n, lo, hi) for sid, slot, n, lo, hi in await cursor.fetchall()} == {
            key: (len(values), min(values), max(values)) for key, values in slots.items()
        }
        assert first.summarised == len(slots) > 0

        second = await maintenance.run_cycle(conn, worker_settings)

        later = await db_now(conn)
        if floor_hour(later - hot_window) == horizon and recent_slots.seal_time(later) == sealed:
            assert second == maintenance.Cycle()  # neither the hour nor a slot turned
        assert await stored(conn) == as_stored(points)


# --- (f) migration 0005 with data in it --------------------------------------------------------


async def test_migration_0005_with_data_compacts_it_and_its_downgrade_restores_it_bit_for_bit(
    fresh_database_url: str, worker_settings: Settings
) -> None:
    url = fresh_database_url
    migrations.upgrade(url, "0004")
    conn = await connect(url)
    async with conn:
        sids = await seed_signals(conn, 3)
        now = await db_now(conn)
        oldest = floor_hour(now) - 30 * CHUNK
        points = series(sids[:2], oldest, now - timedelta(seconds=1), timedelta(minutes=7))
        # Values that only survive if stored bit for bit, at odd microseconds, two days back.
        odd = [-0.0, 0.0, 5e-324, 1e308, -1.5e-300, 0.1 + 0.2, 1 / 3, 2.0**53 + 2, -7.0]
        points += [
            (sids[2], oldest + timedelta(hours=1, microseconds=7 * i + 1), v)
            for i, v in enumerate(odd)
        ]
        await insert(conn, points)

    migrations.upgrade(url)
    conn = await connect(url)
    async with conn:
        relkind = "SELECT relkind FROM pg_class WHERE oid = 'measurements'::regclass"
        assert await scalar(conn, relkind) == "p"
        assert await compaction.compacted_through(conn) == oldest
        assert await stored(conn) == as_stored(points)

        cycle = await maintenance.run_cycle(conn, worker_settings)

        through = await compaction.compacted_through(conn)
        hot_window = timedelta(seconds=worker_settings.storage_hot_window_seconds)
        assert through == floor_hour(await db_now(conn) - hot_window)
        assert cycle.points == len([p for p in points if p[1] < through])
        assert (
            await scalar(conn, "SELECT count(*) FROM measurements WHERE ts < %s", (through,)) == 0
        )
        assert await stored(conn) == as_stored(points)
        # The summaries beside each blob agree with it.
        cursor = await conn.execute(
            "SELECT first_ts, last_ts, count, min, max, sum, points FROM segments"
        )
        for first_ts, last_ts, n, lo, hi, total, blob in await cursor.fetchall():
            ts, values = segment.decode(bytes(blob))
            assert (micros(first_ts), micros(last_ts), n) == (ts[0], ts[-1], len(ts))
            assert (lo, hi) == (values.min(), values.max())
            assert total == pytest.approx(float(values.sum()))
        odd_blob = await scalar(
            conn, "SELECT points FROM segments WHERE signal_id = %s", (sids[2],)
        )
        assert [bits(v) for v in segment.decode(bytes(odd_blob))[1]] == [bits(v) for v in odd]

        # A late point rewrites a compacted one: the stored row wins, in reads and downgrade.
        rewritten = (sids[2], oldest + timedelta(hours=1, microseconds=1), 42.0)
        await insert(conn, [rewritten])
        expected = [p for p in points if p[:2] != rewritten[:2]] + [rewritten]

    migrations.downgrade(url, "0004")
    conn = await connect(url)
    async with conn:
        assert await scalar(conn, relkind) == "r"
        assert await scalar(conn, "SELECT to_regclass('segments')") is None
        assert await scalar(conn, "SELECT to_regclass('storage_state')") is None
        rows = await (
            await conn.execute("SELECT signal_id, ts, value FROM measurements")
        ).fetchall()
        assert sorted((sid, micros(ts), bits(v)) for sid, ts, v in rows) == as_stored(expected)
        raw = await (
            await conn.execute(
                "SELECT float8send(value) FROM measurements WHERE signal_id = %s ORDER BY ts",
                (sids[2],),
            )
        ).fetchall()
        assert [bytes(b) for (b,) in raw][1:] == [struct.pack(">d", v) for v in odd[1:]]


async def test_a_busy_partition_is_skipped_and_the_others_are_dropped(
    fresh_database_url: str,
) -> None:
    """As autovacuum holds a partition: that one waits for the next cycle, the rest go now."""
    migrations.upgrade(fresh_database_url)
    conn = await connect(fresh_database_url)
    async with conn:
        now = await db_now(conn)
        first = floor_hour(now) - 6 * CHUNK
        await partitions.create_ahead(conn, first, 2 * CHUNK, lock_timeout_ms=1000)
        made = [h for h in await partitions.hourly_partitions(conn) if h < first + 3 * CHUNK]
        assert len(made) == 3
        busy = sql.Identifier(partitions.partition_name(made[1]))
        holder = await connect(fresh_database_url)
        async with holder:
            await holder.set_autocommit(False)
            await holder.execute(
                sql.SQL("LOCK TABLE {} IN SHARE UPDATE EXCLUSIVE MODE").format(busy)
            )
            dropped = await partitions.drop_compacted(conn, first + 3 * CHUNK, lock_timeout_ms=100)
            assert dropped == 2
            left = set(await partitions.hourly_partitions(conn))
            assert made[1] in left
            assert made[0] not in left
            assert made[2] not in left
            await holder.rollback()
        assert await partitions.drop_compacted(conn, first + 3 * CHUNK, lock_timeout_ms=100) == 1
