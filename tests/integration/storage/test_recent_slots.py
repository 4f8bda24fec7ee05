"""Summaries of the hot rows per five minutes (`recent_slots`): rollups read them and stay
exact, a batch writing into a sealed slot makes reads take that slot's rows until the worker sums
it up again, compaction and signal deletion take them away, and moving the seal waits for a
batch that saw the old one (so that no point escapes both the sums and the log).

The oracle for reads is the same read with no summaries at all (`summarised_through` back at
`compacted_through`), the path the storage model test checks against a dict of points."""

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from psycopg import sql

from assetwatch.db import compaction, migrations, queries, recent_slots
from assetwatch.db.telemetry_reads import whole_slot_span
from assetwatch.domain import Points
from tests.integration.storage.conftest import Fleet, Tenant, set_compacted_through
from tests.integration.storage.test_compaction import assert_same, stamp, write
from tests.integration.storage.test_maintenance import connect, scalar, seed_signals

HOUR = datetime(2026, 11, 22, 8, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _points(fleet: Fleet, minutes: int = 90) -> list[dict[str, Any]]:
    """Every 20 s from HOUR, two signals."""
    points = []
    for i in range(minutes * 3):
        ts = stamp(HOUR + i * timedelta(seconds=20))
        points.append({"signal_id": fleet.signal_ids[0], "ts": ts, "value": round(i * 0.1, 1)})
        points.append({"signal_id": fleet.signal_ids[1], "ts": ts, "value": -i / 3})
    return points


async def rollups(client: httpx.AsyncClient, tenant: Tenant, fleet: Fleet) -> dict[str, Any]:
    """Rollups whose buckets are whole five minutes, over ranges that cut slots or not."""
    sid = fleet.signal_ids[0]
    cases = {
        "5m": (HOUR, HOUR + 2 * 60 * MINUTE),
        "15m cut": (HOUR + 12 * MINUTE, HOUR + 83 * MINUTE + timedelta(seconds=1)),
        "1h": (HOUR - 60 * MINUTE, HOUR + 3 * 60 * MINUTE),
        "1d": (HOUR - 24 * 60 * MINUTE, HOUR + 24 * 60 * MINUTE),
    }
    out = {}
    for name, (start, end) in cases.items():
        params = {"bucket": name.split()[0], "start": stamp(start), "end": stamp(end)}
        for kind, url in (
            ("signal", f"/v1/signals/{sid}/rollups"),
            ("asset", f"/v1/assets/{fleet.asset_id}/rollups"),
        ):
            response = await client.get(url, params=params, headers=tenant.auth())
            assert response.status_code == 200, response.text
            out[f"{kind} {name}"] = response.json()
    return out


async def without_summaries(driver: Any, read: Any) -> dict[str, Any]:
    """`read()` as it answers with no summary at all."""
    cursor = await driver.execute("SELECT summarised_through FROM storage_state")
    (summarised,) = await cursor.fetchone()
    await driver.execute("UPDATE storage_state SET summarised_through = compacted_through")
    try:
        result: dict[str, Any] = await read()
        return result
    finally:
        await driver.execute("UPDATE storage_state SET summarised_through = %s", (summarised,))


async def summed_up(
    client: httpx.AsyncClient, tenant: Tenant, fleet: Fleet, driver: Any, through: datetime
) -> None:
    """The fleet's points from HOUR on, hot, with the slots before `through` summed up."""
    await write(client, tenant, _points(fleet))
    await set_compacted_through(driver, HOUR)
    await recent_slots.seal(driver, through)
    await recent_slots.sum_up(driver)


async def slot_rows(driver: Any, table: str, fleet: Fleet) -> list[tuple[Any, ...]]:
    query = sql.SQL("SELECT * FROM {} WHERE signal_id = ANY(%s) ORDER BY 1, 2")
    cursor = await driver.execute(query.format(sql.Identifier(table)), (fleet.signal_ids,))
    return [tuple(row) for row in await cursor.fetchall()]


async def test_rollups_read_the_summaries_and_answer_as_the_rows_do(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, driver: Any
) -> None:
    await write(client, acme, _points(fleet))
    await set_compacted_through(driver, HOUR)
    read = lambda: rollups(client, acme, fleet)  # noqa: E731

    assert await recent_slots.seal(driver, HOUR + 60 * MINUTE)
    assert not await recent_slots.seal(driver, HOUR + 30 * MINUTE), "never backwards"
    assert await recent_slots.sum_up(driver) == 2 * 12
    assert await recent_slots.sum_up(driver) == 0, "nothing newly sealed"
    summaries = await slot_rows(driver, "recent_slots", fleet)
    assert summaries[0] == (fleet.signal_ids[0], HOUR, 15, 0.0, 1.4, summaries[0][5])
    assert abs(summaries[0][5] - sum(round(i * 0.1, 1) for i in range(15))) < 1e-9

    assert_same(await without_summaries(driver, read), await read())

    # The reads do take the summaries: one altered shows (and only where it is read whole).
    await driver.execute(
        "UPDATE recent_slots SET max = 99.0 WHERE signal_id = %s AND slot = %s",
        (fleet.signal_ids[0], HOUR + 10 * MINUTE),
    )
    altered = await read()
    assert altered["signal 5m"]["items"][2]["max"] == 99.0
    assert altered["signal 15m cut"]["items"][0]["max"] == 4.4  # 08:12 cuts that slot


async def test_a_batch_into_a_sealed_slot_logs_it_and_reads_take_its_rows_until_summed_again(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, driver: Any
) -> None:
    await summed_up(client, acme, fleet, driver, HOUR + 60 * MINUTE)
    read = lambda: rollups(client, acme, fleet)  # noqa: E731
    sid = fleet.signal_ids[0]

    # A re-sent point and a new one in 08:10-08:15, a point after the seal, one before
    # compaction's edge (the segments' late path, not logged).
    await write(
        client,
        acme,
        [
            {"signal_id": sid, "ts": stamp(HOUR + 10 * MINUTE), "value": -50.0},
            {"signal_id": sid, "ts": stamp(HOUR + 12 * MINUTE + timedelta(seconds=1)), "value": 7},
            {"signal_id": sid, "ts": stamp(HOUR + 61 * MINUTE), "value": 1.5},
            {"signal_id": sid, "ts": stamp(HOUR - 5 * MINUTE), "value": 2.5},
        ],
    )

    assert await slot_rows(driver, "stale_slots", fleet) == [(sid, HOUR + 10 * MINUTE)]
    expected = await without_summaries(driver, read)
    assert expected["signal 5m"]["items"][2]["min"] == -50.0
    assert expected["signal 5m"]["items"][2]["count"] == 16
    assert_same(copy.deepcopy(expected), await read())

    assert await recent_slots.sum_up_stale(driver) == 1
    assert await slot_rows(driver, "stale_slots", fleet) == []
    summary = [
        row
        for row in await slot_rows(driver, "recent_slots", fleet)
        if row[1] == HOUR + 10 * MINUTE
    ]
    assert [row[:5] for row in summary] == [
        (sid, HOUR + 10 * MINUTE, 16, -50.0, 7.0),
        (fleet.signal_ids[1], HOUR + 10 * MINUTE, 15, -44 / 3, -10.0),
    ]
    assert_same(expected, await read())


async def test_compaction_and_a_deleted_signal_take_their_summaries_away(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, driver: Any
) -> None:
    await summed_up(client, acme, fleet, driver, HOUR + 90 * MINUTE)
    sid = fleet.signal_ids[0]
    await write(client, acme, [{"signal_id": sid, "ts": stamp(HOUR + 65 * MINUTE), "value": 3}])
    await write(client, acme, [{"signal_id": sid, "ts": stamp(HOUR + 5 * MINUTE), "value": 3}])
    assert len(await slot_rows(driver, "stale_slots", fleet)) == 2

    await compaction.compact_hour(driver, HOUR + 2 * 60 * MINUTE)

    slots = {row[1] for row in await slot_rows(driver, "recent_slots", fleet)}
    assert slots == {HOUR + 60 * MINUTE + k * 5 * MINUTE for k in range(6)}
    assert await slot_rows(driver, "stale_slots", fleet) == [(sid, HOUR + 65 * MINUTE)]

    response = await client.delete(f"/v1/signals/{sid}", headers=acme.auth())
    assert response.status_code == 204
    assert {row[0] for row in await slot_rows(driver, "recent_slots", fleet)} == {
        fleet.signal_ids[1]
    }
    assert await slot_rows(driver, "stale_slots", fleet) == []


def _ingest(org: int, sid: int, ts: datetime, value: float) -> tuple[str, dict[str, Any]]:
    params = queries.ingest_params(org, Points([sid], [ts], [value]))
    return queries.INGEST.sql, queries.INGEST.params(params)


async def test_moving_the_seal_waits_for_a_batch_that_read_the_old_one(
    fresh_database_url: str,
) -> None:
    """A batch in flight when the seal moves wrote a point the summing up must see: the move
    waits for it to commit. A batch after the move logs its slot instead."""
    migrations.upgrade(fresh_database_url)
    worker, device = await connect(fresh_database_url), await connect(fresh_database_url)
    async with worker, device:
        sid = (await seed_signals(worker, 1))[0]
        org = await scalar(worker, "SELECT organization_id FROM assets")
        now = await scalar(worker, "SELECT now()")
        hour = compaction.instant(compaction.micros(now) // 3_600_000_000 * 3_600_000_000)
        start = hour - 2 * timedelta(hours=1)
        await set_compacted_through(worker, start)
        await recent_slots.seal(worker, start + 10 * MINUTE)

        async with device.transaction():
            await device.execute(*_ingest(org, sid, start + 20 * MINUTE, 4.0))
            moving = asyncio.create_task(recent_slots.seal(worker, start + 30 * MINUTE))
            await asyncio.sleep(0.5)
            assert not moving.done(), "the seal moved while a batch that saw it was open"
        assert await asyncio.wait_for(moving, timeout=5)
        assert await recent_slots.sum_up(worker) == 1
        summary = await scalar(
            worker, "SELECT count FROM recent_slots WHERE slot = %s", (start + 20 * MINUTE,)
        )
        assert summary == 1

        await device.execute(*_ingest(org, sid, start + 21 * MINUTE, 5.0))
        logged = await scalar(worker, "SELECT array_agg(slot) FROM stale_slots")
        assert logged == [start + 20 * MINUTE]


@pytest.mark.parametrize(
    ("start", "end", "bucket", "slots"),
    [
        # Slot starts inside the range bound the slots it holds whole.
        (HOUR + timedelta(seconds=1), HOUR + 17 * MINUTE, timedelta(minutes=5), (5, 15)),
        (HOUR, HOUR + 60 * MINUTE, timedelta(hours=1), (0, 60)),
        # Less than a whole slot, or buckets that are not whole five minutes: none.
        (HOUR + MINUTE, HOUR + 9 * MINUTE, timedelta(minutes=5), None),
        (HOUR, HOUR + 60 * MINUTE, timedelta(minutes=7), None),
        (HOUR, HOUR + 60 * MINUTE, timedelta(seconds=90), None),
    ],
)
def test_a_rollup_reads_the_summaries_of_the_slots_its_range_holds_whole(
    start: datetime, end: datetime, bucket: timedelta, slots: tuple[int, int] | None
) -> None:
    low, high = whole_slot_span(start, end, bucket)
    if slots is None:
        assert low == high  # an empty span
    else:
        assert (low, high) == (HOUR + slots[0] * MINUTE, HOUR + slots[1] * MINUTE)


def test_the_worker_seals_the_slots_that_ended_five_minutes_ago() -> None:
    assert recent_slots.seal_time(HOUR + 10 * MINUTE) == HOUR + 5 * MINUTE
    assert recent_slots.seal_time(HOUR + 14 * MINUTE + timedelta(seconds=59)) == HOUR + 5 * MINUTE
