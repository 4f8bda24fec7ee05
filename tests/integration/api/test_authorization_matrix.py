"""Every route, for every kind of caller, → the expected status, generated from the route table.

A route added to the app without a row in ROLES fails `test_every_route_has_a_rule`, so no
endpoint can ship without someone deciding who may call it.
"""

import uuid

import httpx
import pytest
from fastapi import FastAPI

from assetwatch.domain import Role

from .conftest import Fleet, Tenant

pytestmark = pytest.mark.api

PUBLIC = None
# (method, path template) → the least role that may call it; PUBLIC needs no key.
ROLES: dict[tuple[str, str], Role | None] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("POST", "/v1/api-keys"): Role.admin,
    ("GET", "/v1/api-keys"): Role.admin,
    ("DELETE", "/v1/api-keys/{key_id}"): Role.admin,
    ("GET", "/v1/retention"): Role.admin,
    ("PUT", "/v1/retention"): Role.admin,
    ("POST", "/v1/assets"): Role.writer,
    ("GET", "/v1/assets"): Role.reader,
    ("GET", "/v1/assets/{asset_id}"): Role.reader,
    ("PATCH", "/v1/assets/{asset_id}"): Role.writer,
    ("DELETE", "/v1/assets/{asset_id}"): Role.writer,
    ("POST", "/v1/assets/{asset_id}/signals"): Role.writer,
    ("GET", "/v1/assets/{asset_id}/signals"): Role.reader,
    ("GET", "/v1/assets/{asset_id}/latest"): Role.reader,
    ("GET", "/v1/assets/{asset_id}/rollups"): Role.reader,
    ("GET", "/v1/signals/{signal_id}"): Role.reader,
    ("PATCH", "/v1/signals/{signal_id}"): Role.writer,
    ("DELETE", "/v1/signals/{signal_id}"): Role.writer,
    ("GET", "/v1/signals/{signal_id}/measurements"): Role.reader,
    ("GET", "/v1/signals/{signal_id}/rollups"): Role.reader,
    ("POST", "/v1/measurements"): Role.writer,
}
BODIES = {
    "/v1/api-keys": {"name": "matrix", "role": "reader"},
    "/v1/assets": {"name": "Matrix asset"},
    "/v1/assets/{asset_id}": {"description": "matrix"},
    "/v1/assets/{asset_id}/signals": {"name": "matrix_signal"},
    "/v1/signals/{signal_id}": {"description": "matrix"},
    "/v1/retention": {"days": 30},
}
CALLERS = ["none", "revoked", "reader", "writer", "admin", "other-admin"]


def routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every operation the app publishes (its OpenAPI document is built from the routers)."""
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }


def test_every_route_has_a_rule(app: FastAPI) -> None:
    assert routes(app) == set(ROLES), "add the new route to ROLES with the least role allowed"


async def _headers(
    caller: str, client: httpx.AsyncClient, acme: Tenant, globex: Tenant
) -> dict[str, str]:
    if caller == "none":
        return {}
    if caller == "other-admin":
        return globex.auth(Role.admin)
    if caller == "revoked":
        created = await client.post(
            "/v1/api-keys", json={"name": "to revoke", "role": "admin"}, headers=acme.auth()
        )
        await client.delete(f"/v1/api-keys/{created.json()['id']}", headers=acme.auth())
        return {"Authorization": f"Bearer {created.json()['token']}"}
    return acme.auth(Role(caller))


def _success(method: str, path: str) -> int:
    """The status a permitted call gets: 201 for a create, 204 for a delete with no body."""
    if method == "POST" and path != "/v1/measurements":
        return 201
    if method == "DELETE" and path != "/v1/api-keys/{key_id}":  # revoking answers the key
        return 204
    return 200


def _expected(required: Role | None, caller: str, method: str, path: str) -> int:
    ok = _success(method, path)
    if required is PUBLIC:
        return ok
    if caller in ("none", "revoked"):
        return 401
    if caller == "other-admin":
        # another organisation's ids do not exist for it; its own lists and creates work
        # (ingest names acme's signal: 422, "unknown signal", nothing written)
        if path == "/v1/measurements":
            return 422
        return 404 if "{" in path else ok
    return ok if Role(caller).allows(required) else 403


@pytest.mark.parametrize(("method", "path"), sorted(ROLES))
async def test_route_answers_each_caller_as_its_rule_says(
    client: httpx.AsyncClient,
    acme: Tenant,
    globex: Tenant,
    fleet: Fleet,
    method: str,
    path: str,
) -> None:
    key_id = (await client.get("/v1/api-keys", headers=acme.auth())).json()["items"][0]["id"]
    for caller in CALLERS:
        url = path.format(asset_id=fleet.asset_id, signal_id=fleet.signal_ids[0], key_id=key_id)
        body = BODIES.get(path) if method in ("POST", "PUT", "PATCH") else None
        if path == "/v1/measurements":
            body = {
                "points": [
                    {"signal_id": fleet.signal_ids[0], "ts": "2026-11-01T00:00:00Z", "value": 1}
                ]
            }
        if body and path in ("/v1/assets", "/v1/assets/{asset_id}/signals"):
            body = {"name": f"{body['name']} {caller}"}  # creates must not clash between callers
        if method == "DELETE" and caller not in ("none", "revoked", "other-admin"):
            # a delete that succeeds removes the target: re-create what the next caller needs
            url = await _fresh_target(client, acme, path, fleet.asset_id) or url
        headers = await _headers(caller, client, acme, globex)
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == _expected(ROLES[(method, path)], caller, method, path), (
            method,
            path,
            caller,
            response.status_code,
            response.text[:200],
        )


async def _fresh_target(
    client: httpx.AsyncClient, acme: Tenant, path: str, fleet_asset_id: int
) -> str | None:
    """A new resource for a delete to remove, so each caller finds one to try."""
    if path == "/v1/assets/{asset_id}":
        name = f"doomed-{uuid.uuid4().hex[:8]}"
        created = await client.post("/v1/assets", json={"name": name}, headers=acme.auth())
        return f"/v1/assets/{created.json()['id']}"
    if path == "/v1/signals/{signal_id}":
        signal = await client.post(
            f"/v1/assets/{fleet_asset_id}/signals",
            json={"name": f"doomed-{uuid.uuid4().hex[:8]}"},
            headers=acme.auth(),
        )
        return f"/v1/signals/{signal.json()['id']}"
    if path == "/v1/api-keys/{key_id}":
        created = await client.post(
            "/v1/api-keys", json={"name": "doomed", "role": "reader"}, headers=acme.auth()
        )
        return f"/v1/api-keys/{created.json()['id']}"
    return None
