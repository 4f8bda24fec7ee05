"""Ingest, raw ranges, rollups and latest state over HTTP."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from assetwatch.domain import Role

from .conftest import Fleet, Tenant

pytestmark = pytest.mark.api

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


async def ingest(
    client: httpx.AsyncClient, tenant: Tenant, points: list[dict[str, object]]
) -> httpx.Response:
    return await client.post(
        "/v1/measurements", json={"points": points}, headers=tenant.auth(Role.writer)
    )


async def read(client: httpx.AsyncClient, tenant: Tenant, signal_id: int, query: str = "") -> dict:  # type: ignore[type-arg]
    response = await client.get(
        f"/v1/signals/{signal_id}/measurements?{query}", headers=tenant.auth(Role.reader)
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_ingest_then_read_back_in_order(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    response = await ingest(
        client, acme, [{"signal_id": sid, "ts": at(m), "value": 70 + m} for m in (2, 0, 1)]
    )
    assert response.json() == {"written": 3}
    body = await read(client, acme, sid)
    assert [p["value"] for p in body["items"]] == [70, 71, 72]
    assert body["next_cursor"] is None
    newest_first = await read(client, acme, sid, "order=desc&limit=2")
    assert [p["value"] for p in newest_first["items"]] == [72, 71]


async def test_resending_a_point_overwrites_it_and_duplicates_count_once(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    await ingest(client, acme, [{"signal_id": sid, "ts": at(0), "value": 1.0}])
    response = await ingest(
        client,
        acme,
        [
            {"signal_id": sid, "ts": at(0), "value": 2.0},
            {"signal_id": sid, "ts": at(0), "value": 3.0},
        ],
    )
    assert response.json() == {"written": 1}
    assert [p["value"] for p in (await read(client, acme, sid))["items"]] == [3.0]


async def test_latest_moves_forward_only(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    await ingest(client, acme, [{"signal_id": sid, "ts": at(10), "value": 10.0}])
    await ingest(client, acme, [{"signal_id": sid, "ts": at(5), "value": 5.0}])  # late arrival
    latest = (await client.get(f"/v1/assets/{fleet.asset_id}/latest", headers=acme.auth())).json()
    engine = next(s for s in latest["signals"] if s["signal_id"] == sid)
    assert engine["value"] == 10.0
    assert engine["ts"].startswith(at(10)[:19])
    fuel = next(s for s in latest["signals"] if s["signal_id"] == fleet.signal_ids[1])
    assert fuel["ts"] is None


async def test_bad_points_are_422_by_index_and_nothing_is_written(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    response = await client.post(
        "/v1/measurements",
        content=(
            f'{{"points": [{{"signal_id": {sid}, "ts": "2026-11-01T00:00:00Z", "value": 1}},'
            f' {{"signal_id": {sid}, "ts": "2026-11-01T00:01:00", "value": 2}},'
            f' {{"signal_id": {sid}, "ts": "2026-11-01T00:02:00Z", "value": NaN}}]}}'
        ),
        headers={**acme.auth(), "content-type": "application/json"},
    )
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert ("body", "points", 1, "ts") in locs
    assert ("body", "points", 2, "value") in locs
    assert (await read(client, acme, sid))["items"] == []


IMPOSSIBLE_STAMPS = [
    "2026-11-01T00:00:00+00:60",  # Python's fromisoformat would read these offsets as +01:00 …
    "2026-11-01T00:00:00-00:60",
    "2026-11-01T00:00:00+01:60",
    "2026-11-01T00:00:00+00:61",
    "2026-11-01T00:00:00+24:00",
    "2026-11-01T24:00:00Z",
    "2026-11-01T23:60:00Z",
    "2026-11-01T23:59:60Z",
]


@pytest.mark.parametrize("stamp", IMPOSSIBLE_STAMPS)
async def test_an_impossible_time_or_offset_is_422_at_its_point_and_nothing_is_written(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, stamp: str
) -> None:
    sid = fleet.signal_ids[0]
    response = await ingest(
        client,
        acme,
        [
            {"signal_id": sid, "ts": "2026-11-01T00:00:00Z", "value": 1},
            {"signal_id": sid, "ts": stamp, "value": 2},
        ],
    )
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "points", 1, "ts"]]
    assert (await read(client, acme, sid))["items"] == []
    latest = await client.get(f"/v1/assets/{fleet.asset_id}/latest", headers=acme.auth())
    assert [s["ts"] for s in latest.json()["signals"]] == [None, None]


async def test_the_widest_offsets_and_minus_zero_are_accepted(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    stamps = ["2026-11-01T23:59:00+23:59", "2026-11-01T00:00:00-23:59", "2026-11-01T12:00:00-00:00"]
    response = await ingest(
        client, acme, [{"signal_id": sid, "ts": ts, "value": 1} for ts in stamps]
    )
    assert response.json() == {"written": 3}
    assert [p["ts"][:19] for p in (await read(client, acme, sid))["items"]] == [
        "2026-11-01T00:00:00",
        "2026-11-01T12:00:00",
        "2026-11-01T23:59:00",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-11-01T00:00:00%2B00:60",
        "end=2026-11-01T00:00:00-00:60",
        "start=2026-11-01T00:00:00%2B24:00",
        "end=2026-11-01T24:00:00Z",
    ],
)
async def test_an_impossible_time_or_offset_in_a_range_bound_is_422(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, query: str
) -> None:
    name = query.partition("=")[0]
    for path in ("measurements", "rollups"):
        response = await client.get(
            f"/v1/signals/{fleet.signal_ids[0]}/{path}?{query}", headers=acme.auth()
        )
        assert response.status_code == 422, (path, response.text)
        assert [e["loc"] for e in response.json()["errors"]] == [["query", name]]


async def test_an_empty_range_is_422(client: httpx.AsyncClient, acme: Tenant, fleet: Fleet) -> None:
    window = "start=2026-11-01T00:00:00Z&end=2026-11-01T00:00:00Z"
    for path in ("measurements", "rollups"):
        response = await client.get(
            f"/v1/signals/{fleet.signal_ids[0]}/{path}?{window}", headers=acme.auth()
        )
        assert response.status_code == 422, (path, response.text)
        assert [e["loc"] for e in response.json()["errors"]] == [["query", "start"]]


async def test_points_from_the_future_are_rejected(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    soon = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    later = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    response = await ingest(
        client,
        acme,
        [{"signal_id": sid, "ts": soon, "value": 1}, {"signal_id": sid, "ts": later, "value": 2}],
    )
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "points", 1, "ts"]]
    assert (await read(client, acme, sid))["items"] == []


async def test_unknown_or_foreign_signals_are_named_and_nothing_is_written(
    client: httpx.AsyncClient, acme: Tenant, globex: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    response = await ingest(
        client,
        globex,
        [
            {"signal_id": sid, "ts": at(0), "value": 1},
            {"signal_id": 999_999, "ts": at(0), "value": 2},
        ],
    )
    assert response.status_code == 422
    assert str(sid) in response.json()["detail"]
    assert "999999" in response.json()["detail"]
    mixed = await ingest(
        client,
        acme,
        [
            {"signal_id": sid, "ts": at(0), "value": 1},
            {"signal_id": 999_999, "ts": at(0), "value": 2},
        ],
    )
    assert mixed.status_code == 422
    assert (await read(client, acme, sid))["items"] == []
    latest = await client.get(f"/v1/assets/{fleet.asset_id}/latest", headers=acme.auth())
    assert [s["ts"] for s in latest.json()["signals"]] == [None, None]  # nor did latest move


async def test_batches_above_the_limit_are_413(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    points = [{"signal_id": sid, "ts": at(i / 60), "value": i} for i in range(10_001)]
    response = await ingest(client, acme, points)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert (await read(client, acme, sid))["items"] == []
    exactly = await ingest(client, acme, points[:10_000])
    assert exactly.json() == {"written": 10_000}


async def test_reads_page_through_a_range_without_loss_or_repeat(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    await ingest(client, acme, [{"signal_id": sid, "ts": at(m), "value": m} for m in range(25)])
    window = f"start={at(3).replace('+', '%2B')}&end={at(20).replace('+', '%2B')}"
    for order, expected in (("asc", list(range(3, 20))), ("desc", list(range(19, 2, -1)))):
        seen: list[float] = []
        cursor = ""
        while True:
            page = await read(client, acme, sid, f"{window}&order={order}&limit=5{cursor}")
            seen += [p["value"] for p in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
        assert seen == expected


async def test_rollups_per_bucket(client: httpx.AsyncClient, acme: Tenant, fleet: Fleet) -> None:
    sid = fleet.signal_ids[0]
    await ingest(
        client, acme, [{"signal_id": sid, "ts": at(m * 10), "value": m} for m in range(12)]
    )
    response = await client.get(
        f"/v1/signals/{sid}/rollups",
        params={
            "bucket": "1h",
            "start": T0.isoformat(),
            "end": (T0 + timedelta(hours=2)).isoformat(),
        },
        headers=acme.auth(Role.reader),
    )
    assert response.status_code == 200
    body = response.json()
    assert [(r["count"], r["min"], r["max"], r["avg"]) for r in body["items"]] == [
        (6, 0, 5, 2.5),
        (6, 6, 11, 8.5),
    ]
    assert body["items"][1]["bucket_start"].startswith("2026-11-01T01:00:00")


async def test_rollups_refuse_too_many_buckets_and_bad_buckets(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    window = {"start": T0.isoformat(), "end": (T0 + timedelta(days=30)).isoformat()}
    too_many = await client.get(
        f"/v1/signals/{sid}/rollups", params={"bucket": "1m", **window}, headers=acme.auth()
    )
    assert too_many.status_code == 422
    for bucket in ("0m", "1w", "abc"):
        bad = await client.get(
            f"/v1/signals/{sid}/rollups", params={"bucket": bucket, **window}, headers=acme.auth()
        )
        assert bad.status_code == 422, bucket


async def test_reads_of_unknown_signals_and_assets_are_404(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    for path in (
        "/v1/signals/999999/measurements",
        "/v1/signals/999999/rollups",
        "/v1/assets/999999/latest",
    ):
        response = await client.get(path, headers=acme.auth())
        assert response.status_code == 404, path


async def test_naive_range_bounds_are_422(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    response = await client.get(
        f"/v1/signals/{fleet.signal_ids[0]}/measurements?start=2026-11-01T00:00:00",
        headers=acme.auth(),
    )
    assert response.status_code == 422


async def test_the_same_batch_twice_leaves_the_same_rows(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    points = [
        {"signal_id": sid, "ts": at(m), "value": m * 1.5}
        for sid in fleet.signal_ids
        for m in range(50)
    ]
    first = await ingest(client, acme, points)
    second = await ingest(client, acme, points)  # a device retrying after a timeout
    assert first.json() == second.json() == {"written": 100}
    for sid in fleet.signal_ids:
        body = await read(client, acme, sid, "limit=1000")
        assert [p["value"] for p in body["items"]] == [m * 1.5 for m in range(50)]
