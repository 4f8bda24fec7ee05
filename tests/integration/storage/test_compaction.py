"""Compaction end to end: what clients read is the same before and after, late points win."""

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from assetwatch.db import compaction
from tests.integration.storage.conftest import Fleet, Tenant, set_compacted_through

HOUR = datetime(2026, 11, 22, 8, tzinfo=UTC)


def stamp(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


async def write(client: httpx.AsyncClient, tenant: Tenant, points: list[dict[str, Any]]) -> None:
    response = await client.post("/v1/measurements", json={"points": points}, headers=tenant.auth())
    assert response.status_code == 200, response.text


async def reads(client: httpx.AsyncClient, tenant: Tenant, fleet: Fleet) -> dict[str, Any]:
    """Everything a client can read about the fleet's points, in several shapes."""
    sid = fleet.signal_ids[0]
    window = {"start": stamp(HOUR - timedelta(hours=2)), "end": stamp(HOUR + timedelta(hours=3))}
    urls = {
        "asc": (f"/v1/signals/{sid}/measurements", {"limit": 7}),
        "desc": (f"/v1/signals/{sid}/measurements", {"order": "desc", "limit": 5}),
        "all": (f"/v1/signals/{sid}/measurements", {}),
        "inner": (
            f"/v1/signals/{sid}/measurements",
            {
                "start": stamp(HOUR + timedelta(minutes=10)),
                "end": stamp(HOUR + timedelta(minutes=70)),
            },
        ),
        "hourly": (f"/v1/signals/{sid}/rollups", {"bucket": "1h", **window}),
        "minutes": (f"/v1/signals/{sid}/rollups", {"bucket": "7m", **window}),
        "quarters": (f"/v1/signals/{sid}/rollups", {"bucket": "15m", **window}),
        "asset quarters": (f"/v1/assets/{fleet.asset_id}/rollups", {"bucket": "5m", **window}),
        "cut": (
            f"/v1/signals/{sid}/rollups",
            {"bucket": "1h", "start": stamp(HOUR + timedelta(minutes=5)), "end": window["end"]},
        ),
        "daily": (f"/v1/signals/{sid}/rollups", {"bucket": "1d", **window}),
        "asset": (f"/v1/assets/{fleet.asset_id}/rollups", {"bucket": "2h", **window}),
    }
    out = {}
    for name, (url, params) in urls.items():
        response = await client.get(url, params=params, headers=tenant.auth())
        assert response.status_code == 200, (name, response.text)
        out[name] = response.json()
    return out


def _points(fleet: Fleet) -> list[dict[str, Any]]:
    points = []
    for i in range(150):  # 08:00 to 10:30, every minute, two signals
        ts = HOUR + timedelta(minutes=i)
        points.append(
            {"signal_id": fleet.signal_ids[0], "ts": stamp(ts), "value": round(i * 0.1, 1)}
        )
        points.append({"signal_id": fleet.signal_ids[1], "ts": stamp(ts), "value": -i / 3})
    return points


def _approx(rollups: dict[str, Any]) -> dict[str, Any]:
    """avg is a float sum divided: the same to within rounding, in any order of summing."""
    return rollups


async def test_reads_are_the_same_before_and_after_compaction(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, driver: Any
) -> None:
    await write(client, acme, _points(fleet))
    before = await reads(client, acme, fleet)

    await set_compacted_through(driver, HOUR)
    steps = [await compaction.compact_hour(driver, HOUR + timedelta(hours=2)) for _ in range(3)]
    assert [s.points if s else None for s in steps] == [120, 120, None]
    cursor = await driver.execute(
        "SELECT count(*) FROM segments WHERE signal_id = ANY(%s)", (fleet.signal_ids,)
    )
    assert (await cursor.fetchone())[0] == 4
    cursor = await driver.execute(
        "SELECT count(*) FROM measurements WHERE signal_id = ANY(%s)", (fleet.signal_ids,)
    )
    assert (await cursor.fetchone())[0] == 60  # 10:00 to 10:30 is still hot

    after = await reads(client, acme, fleet)
    assert_same(before, after)


def assert_same(before: dict[str, Any], after: dict[str, Any]) -> None:
    for name in before:
        if "items" in before[name] and before[name]["items"] and "avg" in before[name]["items"][0]:
            for b, a in zip(before[name]["items"], after[name]["items"], strict=True):
                assert abs(b.pop("avg") - a.pop("avg")) <= 1e-9 * max(1, abs(b["max"])), name
        if "signals" in before[name]:
            for bs, as_ in zip(before[name]["signals"], after[name]["signals"], strict=True):
                for b, a in zip(bs["items"], as_["items"], strict=True):
                    assert abs(b.pop("avg") - a.pop("avg")) <= 1e-9 * max(1, abs(b["max"])), name
        assert before[name] == after[name], name


async def test_a_late_point_overwrites_a_compacted_one_and_is_merged_later(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, driver: Any
) -> None:
    await write(client, acme, _points(fleet))
    await set_compacted_through(driver, HOUR)
    while await compaction.compact_hour(driver, HOUR + timedelta(hours=3)):
        pass
    sid = fleet.signal_ids[0]
    late = HOUR + timedelta(minutes=30)
    await write(
        client,
        acme,
        [
            {"signal_id": sid, "ts": stamp(late), "value": 999.5},
            {"signal_id": sid, "ts": stamp(late + timedelta(seconds=1)), "value": -1.0},
        ],
    )
    expected = await reads(client, acme, fleet)
    inner = expected["inner"]["items"]
    assert {"ts": stamp(late), "value": 999.5} in inner
    hourly = {b["bucket_start"]: b for b in expected["hourly"]["items"]}
    assert hourly[stamp(HOUR)]["max"] == 999.5
    assert hourly[stamp(HOUR)]["count"] == 61

    merged = await compaction.compact_late(driver)
    assert (merged.points, merged.segments) == (2, 1)
    assert_same(expected, await reads(client, acme, fleet))


async def test_segments_without_slots_read_the_same_and_the_worker_fills_them(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, driver: Any
) -> None:
    """Segments from before revision 0006 have no slots: reads decode them, then the worker
    gives them slots, and reads (now summing slots) are still the same."""
    await write(client, acme, _points(fleet))
    before = await reads(client, acme, fleet)
    await set_compacted_through(driver, HOUR)
    while await compaction.compact_hour(driver, HOUR + timedelta(hours=2)):
        pass
    await driver.execute(
        "UPDATE segments SET slots = NULL WHERE signal_id = ANY(%s)", (fleet.signal_ids,)
    )
    assert_same(copy.deepcopy(before), await reads(client, acme, fleet))

    assert await compaction.fill_slots(driver, limit=3) == 3
    assert await compaction.fill_slots(driver) == 1
    assert await compaction.fill_slots(driver) == 0
    cursor = await driver.execute(
        "SELECT signal_id, length(slots) > 0 FROM segments WHERE signal_id = ANY(%s)",
        (fleet.signal_ids,),
    )
    # The first signal's readings are decimals (tenths); the second's, thirds, are not: their
    # segments are marked as having none (empty), not left to be tried again.
    assert sorted(await cursor.fetchall()) == [
        (fleet.signal_ids[0], True),
        (fleet.signal_ids[0], True),
        (fleet.signal_ids[1], False),
        (fleet.signal_ids[1], False),
    ]
    assert_same(before, await reads(client, acme, fleet))
