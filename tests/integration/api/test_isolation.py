"""Two organisations: nothing of one is visible to, or changeable by, the other."""

import httpx
import pytest

from .conftest import Fleet, Tenant

pytestmark = pytest.mark.api


async def test_every_endpoint_hides_another_organisations_resources(
    client: httpx.AsyncClient, acme: Tenant, globex: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    await client.post(
        "/v1/measurements",
        json={"points": [{"signal_id": sid, "ts": "2026-11-01T00:00:00Z", "value": 1}]},
        headers=acme.auth(),
    )
    acme_key = (await client.get("/v1/api-keys", headers=acme.auth())).json()["items"][0]["id"]
    foreign = globex.auth()
    attempts = [
        ("GET", f"/v1/assets/{fleet.asset_id}", None),
        ("PATCH", f"/v1/assets/{fleet.asset_id}", {"name": "stolen"}),
        ("GET", f"/v1/assets/{fleet.asset_id}/signals", None),
        ("POST", f"/v1/assets/{fleet.asset_id}/signals", {"name": "implant"}),
        ("GET", f"/v1/assets/{fleet.asset_id}/latest", None),
        ("GET", f"/v1/signals/{sid}", None),
        ("PATCH", f"/v1/signals/{sid}", {"unit": "x"}),
        ("GET", f"/v1/signals/{sid}/measurements", None),
        ("GET", f"/v1/signals/{sid}/rollups", None),
        ("DELETE", f"/v1/signals/{sid}", None),
        ("DELETE", f"/v1/assets/{fleet.asset_id}", None),
        ("DELETE", f"/v1/api-keys/{acme_key}", None),
    ]
    for method, path, body in attempts:
        response = await client.request(method, path, json=body, headers=foreign)
        assert response.status_code == 404, (method, path, response.status_code)
    ingest = await client.post(
        "/v1/measurements",
        json={"points": [{"signal_id": sid, "ts": "2026-11-01T00:00:01Z", "value": 2}]},
        headers=foreign,
    )
    assert ingest.status_code == 422
    listed = (await client.get("/v1/assets", headers=foreign)).json()
    assert listed["items"] == []
    keys = (await client.get("/v1/api-keys", headers=foreign)).json()["items"]
    assert acme_key not in [k["id"] for k in keys]
    # and acme's data is untouched
    asset = (await client.get(f"/v1/assets/{fleet.asset_id}", headers=acme.auth())).json()
    assert asset["name"] == "Tractor 7"
    assert [s["unit"] for s in asset["signals"]] == ["°C", "%"]
    points = (await client.get(f"/v1/signals/{sid}/measurements", headers=acme.auth())).json()
    assert [p["value"] for p in points["items"]] == [1]


async def test_same_names_may_exist_in_two_organisations(
    client: httpx.AsyncClient, acme: Tenant, globex: Tenant
) -> None:
    for tenant in (acme, globex):
        response = await client.post(
            "/v1/assets", json={"name": "Tractor 7"}, headers=tenant.auth()
        )
        assert response.status_code == 201
