"""Assets and signals over HTTP: the happy paths and every error a client can cause."""

import httpx
import pytest

from assetwatch.domain import Role

from .conftest import Fleet, Tenant

pytestmark = pytest.mark.api


async def test_create_asset_returns_201_with_location_and_body(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    response = await client.post(
        "/v1/assets",
        json={"name": "  Combine 1 ", "kind": "combine", "attributes": {"vin": "X1"}},
        headers=acme.auth(Role.writer),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Combine 1"
    assert body["attributes"] == {"vin": "X1"}
    assert body["signals"] == []
    assert response.headers["location"].endswith(f"/v1/assets/{body['id']}")
    again = await client.get(response.headers["location"], headers=acme.auth(Role.reader))
    assert again.json()["name"] == "Combine 1"


async def test_duplicate_asset_name_in_any_case_is_409_problem(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    response = await client.post("/v1/assets", json={"name": "TRACTOR 7"}, headers=acme.auth())
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 409


async def test_invalid_asset_body_is_422_naming_fields(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    response = await client.post(
        "/v1/assets", json={"name": "", "colour": "red"}, headers=acme.auth()
    )
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert ("body", "name") in locs
    assert ("body", "colour") in locs


async def test_get_asset_includes_signals_with_latest_point(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    await client.post(
        "/v1/measurements",
        json={
            "points": [
                {"signal_id": fleet.signal_ids[0], "ts": "2026-01-01T00:00:00Z", "value": 80.5}
            ]
        },
        headers=acme.auth(Role.writer),
    )
    body = (await client.get(f"/v1/assets/{fleet.asset_id}", headers=acme.auth())).json()
    signals = {s["name"]: s for s in body["signals"]}
    assert signals["engine_temp"]["last_value"] == 80.5
    assert signals["engine_temp"]["last_ts"].startswith("2026-01-01T00:00:00")
    assert signals["fuel_level"]["last_ts"] is None


async def test_list_assets_filters_and_pages_with_cursor(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    for name, kind in [("Tractor A", "tractor"), ("Tractor B", "tractor"), ("Dryer", "dryer")]:
        await client.post("/v1/assets", json={"name": name, "kind": kind}, headers=acme.auth())
    first = (await client.get("/v1/assets?limit=2", headers=acme.auth())).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    second = (
        await client.get(f"/v1/assets?limit=2&cursor={first['next_cursor']}", headers=acme.auth())
    ).json()
    names = [a["name"] for a in first["items"] + second["items"]]
    assert names == ["Tractor A", "Tractor B", "Dryer"]
    assert second["next_cursor"] is None
    tractors = (await client.get("/v1/assets?kind=tractor", headers=acme.auth())).json()
    assert [a["name"] for a in tractors["items"]] == ["Tractor A", "Tractor B"]
    prefixed = (await client.get("/v1/assets?q=tRaCtOr%20b", headers=acme.auth())).json()
    assert [a["name"] for a in prefixed["items"]] == ["Tractor B"]


async def test_a_tampered_cursor_is_422_not_500(client: httpx.AsyncClient, acme: Tenant) -> None:
    for cursor in ("garbage!!", "eyJ4IjoxfQ", "bm90IGpzb24"):
        response = await client.get(f"/v1/assets?cursor={cursor}", headers=acme.auth())
        assert response.status_code == 422, cursor
        assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


async def test_limit_out_of_range_is_422(client: httpx.AsyncClient, acme: Tenant) -> None:
    assert (await client.get("/v1/assets?limit=501", headers=acme.auth())).status_code == 422
    assert (await client.get("/v1/assets?limit=0", headers=acme.auth())).status_code == 422


async def test_patch_asset_changes_only_given_fields(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    before = (await client.get(f"/v1/assets/{fleet.asset_id}", headers=acme.auth())).json()
    response = await client.patch(
        f"/v1/assets/{fleet.asset_id}", json={"description": "north field"}, headers=acme.auth()
    )
    assert response.status_code == 200
    after = (await client.get(f"/v1/assets/{fleet.asset_id}", headers=acme.auth())).json()
    assert after["description"] == "north field"
    assert after["name"] == before["name"]
    assert after["kind"] == before["kind"]
    assert after["updated_at"] > before["updated_at"]


async def test_patch_asset_to_an_existing_name_is_409(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    await client.post("/v1/assets", json={"name": "Dryer"}, headers=acme.auth())
    response = await client.patch(
        f"/v1/assets/{fleet.asset_id}", json={"name": "dryer"}, headers=acme.auth()
    )
    assert response.status_code == 409
    unchanged = (await client.get(f"/v1/assets/{fleet.asset_id}", headers=acme.auth())).json()
    assert unchanged["name"] == "Tractor 7"


async def test_patch_with_null_name_is_422(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    response = await client.patch(
        f"/v1/assets/{fleet.asset_id}", json={"name": None}, headers=acme.auth()
    )
    assert response.status_code == 422


async def test_delete_asset_cascades_to_signals(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    response = await client.delete(f"/v1/assets/{fleet.asset_id}", headers=acme.auth())
    assert response.status_code == 204
    assert (
        await client.get(f"/v1/assets/{fleet.asset_id}", headers=acme.auth())
    ).status_code == 404
    gone = await client.get(f"/v1/signals/{fleet.signal_ids[0]}", headers=acme.auth())
    assert gone.status_code == 404
    again = await client.delete(f"/v1/assets/{fleet.asset_id}", headers=acme.auth())
    assert again.status_code == 404


async def test_signals_create_list_read_patch_delete(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    listed = (await client.get(f"/v1/assets/{fleet.asset_id}/signals", headers=acme.auth())).json()
    assert [s["name"] for s in listed["items"]] == ["engine_temp", "fuel_level"]
    duplicate = await client.post(
        f"/v1/assets/{fleet.asset_id}/signals", json={"name": "Engine_Temp"}, headers=acme.auth()
    )
    assert duplicate.status_code == 409
    signal_id = fleet.signal_ids[1]
    patched = await client.patch(
        f"/v1/signals/{signal_id}", json={"unit": "L", "description": "tank"}, headers=acme.auth()
    )
    assert patched.status_code == 200
    read = (await client.get(f"/v1/signals/{signal_id}", headers=acme.auth())).json()
    assert (read["unit"], read["description"], read["name"]) == ("L", "tank", "fuel_level")
    assert (await client.delete(f"/v1/signals/{signal_id}", headers=acme.auth())).status_code == 204
    assert (await client.get(f"/v1/signals/{signal_id}", headers=acme.auth())).status_code == 404


async def test_signals_of_an_unknown_asset_is_404(client: httpx.AsyncClient, acme: Tenant) -> None:
    response = await client.get("/v1/assets/999999/signals", headers=acme.auth())
    assert response.status_code == 404
    created = await client.post(
        "/v1/assets/999999/signals", json={"name": "x"}, headers=acme.auth()
    )
    assert created.status_code == 404


async def test_ids_beyond_bigint_are_422(client: httpx.AsyncClient, acme: Tenant) -> None:
    response = await client.get(f"/v1/assets/{2**63}", headers=acme.auth())
    assert response.status_code == 422


async def test_assets_carry_tags_and_filter_by_tag(client: httpx.AsyncClient, acme: Tenant) -> None:
    for name, tags in [("A", ["North-Field", "fleet-b"]), ("B", ["fleet-b"]), ("C", [])]:
        created = await client.post(
            "/v1/assets", json={"name": name, "tags": tags}, headers=acme.auth()
        )
        assert created.status_code == 201
    first = (await client.get("/v1/assets?q=A", headers=acme.auth())).json()["items"][0]
    assert first["tags"] == ["north-field", "fleet-b"]  # normalised
    fleet_b = (await client.get("/v1/assets?tag=FLEET-B", headers=acme.auth())).json()
    assert [a["name"] for a in fleet_b["items"]] == ["A", "B"]
    patched = await client.patch(
        f"/v1/assets/{first['id']}", json={"tags": ["south"]}, headers=acme.auth()
    )
    assert patched.json()["tags"] == ["south"]
    north = (await client.get("/v1/assets?tag=north-field", headers=acme.auth())).json()
    assert north["items"] == []
    bad = await client.get("/v1/assets?tag=a,b", headers=acme.auth())
    assert bad.status_code == 422
