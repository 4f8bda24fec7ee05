"""GET /v1/assets/{id}/rollups: every signal of an asset in one request."""

import httpx

from tests.integration.api.conftest import Fleet, Tenant

WINDOW = {"bucket": "1h", "start": "2026-11-22T08:00:00Z", "end": "2026-11-22T11:00:00Z"}


async def _write(client: httpx.AsyncClient, tenant: Tenant, fleet: Fleet) -> None:
    a, b = fleet.signal_ids
    points = [
        {"signal_id": a, "ts": "2026-11-22T08:10:00Z", "value": 1.5},
        {"signal_id": a, "ts": "2026-11-22T08:20:00Z", "value": 2.5},
        {"signal_id": a, "ts": "2026-11-22T09:05:00Z", "value": -4.0},
        {"signal_id": b, "ts": "2026-11-22T10:59:59Z", "value": 7.0},
        {"signal_id": b, "ts": "2026-11-22T11:00:00Z", "value": 99.0},  # end is exclusive
    ]
    response = await client.post("/v1/measurements", json={"points": points}, headers=tenant.auth())
    assert response.status_code == 200, response.text


async def test_every_signal_of_the_asset_comes_back_with_its_buckets(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    await _write(client, acme, fleet)
    response = await client.get(
        f"/v1/assets/{fleet.asset_id}/rollups", params=WINDOW, headers=acme.auth()
    )
    assert response.status_code == 200, response.text
    a, b = fleet.signal_ids
    assert response.json() == {
        "asset_id": fleet.asset_id,
        "bucket": "1h",
        "signals": [
            {
                "signal_id": a,
                "items": [
                    {
                        "bucket_start": "2026-11-22T08:00:00Z",
                        "count": 2,
                        "min": 1.5,
                        "max": 2.5,
                        "avg": 2.0,
                    },
                    {
                        "bucket_start": "2026-11-22T09:00:00Z",
                        "count": 1,
                        "min": -4.0,
                        "max": -4.0,
                        "avg": -4.0,
                    },
                ],
            },
            {
                "signal_id": b,
                "items": [
                    {
                        "bucket_start": "2026-11-22T10:00:00Z",
                        "count": 1,
                        "min": 7.0,
                        "max": 7.0,
                        "avg": 7.0,
                    },
                ],
            },
        ],
    }


async def test_signal_id_picks_signals_and_each_signal_matches_its_own_rollup(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    await _write(client, acme, fleet)
    b = fleet.signal_ids[1]
    response = await client.get(
        f"/v1/assets/{fleet.asset_id}/rollups",
        params={**WINDOW, "signal_id": [b]},
        headers=acme.auth(),
    )
    assert [s["signal_id"] for s in response.json()["signals"]] == [b]
    single = await client.get(f"/v1/signals/{b}/rollups", params=WINDOW, headers=acme.auth())
    assert response.json()["signals"][0]["items"] == single.json()["items"]


async def test_an_asset_without_signals_has_none_and_another_orgs_asset_is_404(
    client: httpx.AsyncClient, acme: Tenant, globex: Tenant, fleet: Fleet
) -> None:
    created = await client.post(
        "/v1/assets", json={"name": "Empty shed", "kind": "shed"}, headers=acme.auth()
    )
    empty = created.json()["id"]
    response = await client.get(f"/v1/assets/{empty}/rollups", params=WINDOW, headers=acme.auth())
    assert response.status_code == 200
    assert response.json()["signals"] == []
    for asset in (fleet.asset_id, 10**12):
        foreign = await client.get(
            f"/v1/assets/{asset}/rollups", params=WINDOW, headers=globex.auth()
        )
        assert foreign.status_code == 404, foreign.text
        assert foreign.json()["type"].endswith("not-found")


async def test_bad_buckets_and_signal_ids_are_422s(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    url = f"/v1/assets/{fleet.asset_id}/rollups"
    for params in (
        {"bucket": "1w"},
        {"bucket": "1s", "start": "2026-01-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"},
        {"signal_id": "x"},
        {"signal_id": "0"},
    ):
        response = await client.get(url, params=params, headers=acme.auth())
        assert response.status_code == 422, (params, response.text)


async def test_rollups_near_the_start_of_time_are_answered_not_500s(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    """A default start a day before year 1's noon, or a bucket starting before year 1."""
    sid = fleet.signal_ids[0]
    for url in (f"/v1/signals/{sid}/rollups", f"/v1/assets/{fleet.asset_id}/rollups"):
        early = await client.get(url, params={"end": "0001-01-01T12:00:00Z"}, headers=acme.auth())
        assert early.status_code == 200, early.text
        wide = await client.get(
            url,
            params={
                "bucket": "999999d",
                "start": "1999-01-01T00:00:00Z",
                "end": "1999-01-02T00:00:00Z",
            },
            headers=acme.auth(),
        )
        assert wide.status_code == 422, wide.text
        assert wide.json()["errors"][0]["loc"] == ["query", "bucket"]
