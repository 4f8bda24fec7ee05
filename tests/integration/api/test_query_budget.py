"""The query budget: at most 3 statements a request (auth included, key cache warm); at most 2
for ingest, latest and range reads."""

import httpx
import pytest

from assetwatch.domain import Role

from .conftest import Fleet, Tenant

pytestmark = pytest.mark.api

JSON = {"content-type": "application/json"}
P = '{"points": [{"signal_id": %d, "ts": "2026-11-01T00:00:00Z", "value": 1}]}'


@pytest.mark.parametrize(
    ("method", "path", "body", "budget", "status"),
    [
        ("POST", "/v1/measurements", "ingest", 2, 200),
        ("GET", "/v1/signals/{sid}/measurements?order=desc&limit=100", None, 2, 200),
        ("GET", "/v1/assets/{aid}/latest", None, 2, 200),
        ("GET", "/v1/signals/{sid}/rollups?bucket=1h", None, 2, 200),
        ("GET", "/v1/assets", None, 3, 200),
        ("GET", "/v1/assets/{aid}", None, 3, 200),
        ("PATCH", "/v1/assets/{aid}", '{"description": "budget"}', 3, 200),
        ("POST", "/v1/assets", '{"name": "New one"}', 3, 201),
        ("GET", "/v1/assets/{aid}/signals", None, 3, 200),
        ("POST", "/v1/assets/{aid}/signals", '{"name": "rpm"}', 3, 201),
        ("GET", "/v1/signals/{sid}", None, 3, 200),
        ("PATCH", "/v1/signals/{sid}", '{"unit": "K"}', 3, 200),
        ("DELETE", "/v1/signals/{sid}", None, 3, 204),
        ("DELETE", "/v1/assets/{aid}", None, 3, 204),
        ("GET", "/v1/api-keys", None, 3, 200),
        ("POST", "/v1/api-keys", '{"name": "k", "role": "reader"}', 3, 201),
        ("GET", "/v1/retention", None, 3, 200),
        ("PUT", "/v1/retention", '{"days": 30}', 3, 200),
    ],
)
async def test_statements_per_request_stay_within_budget(
    client: httpx.AsyncClient,
    acme: Tenant,
    fleet: Fleet,
    statements: list[str],
    method: str,
    path: str,
    body: str | None,
    budget: int,
    status: int,
) -> None:
    sid, aid = fleet.signal_ids[0], fleet.asset_id
    content = P % sid if body == "ingest" else body
    await client.get("/v1/assets?limit=1", headers=acme.auth())  # warm the key cache
    statements.clear()
    response = await client.request(
        method,
        path.format(sid=sid, aid=aid),
        content=content,
        headers={**acme.auth(), "content-type": "application/json"},
    )
    assert response.status_code == status, response.text
    assert len(statements) <= budget, "\n---\n".join(statements)


async def test_revoke_key_within_budget(
    client: httpx.AsyncClient, acme: Tenant, statements: list[str]
) -> None:
    keys = (await client.get("/v1/api-keys", headers=acme.auth())).json()["items"]
    key_id = next(k["id"] for k in keys if k["role"] == "reader")  # not the calling admin key
    statements.clear()
    response = await client.delete(f"/v1/api-keys/{key_id}", headers=acme.auth())
    assert response.status_code == 200
    assert len(statements) <= 3, statements


async def test_a_cold_key_cache_costs_one_statement(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, statements: list[str]
) -> None:
    statements.clear()  # the reader key has not been used yet: its lookup is not cached
    response = await client.get(
        f"/v1/assets/{fleet.asset_id}/latest", headers=acme.auth(Role.reader)
    )
    assert response.status_code == 200
    assert len(statements) == 2  # key lookup + the latest query
    statements.clear()
    await client.get(f"/v1/assets/{fleet.asset_id}/latest", headers=acme.auth(Role.reader))
    assert len(statements) == 1  # now cached


@pytest.mark.parametrize(
    "path",
    [
        "/v1/signals/{sid}/measurements?order=desc&limit=100",
        "/v1/signals/{sid}/rollups?bucket=1h&start=2026-10-31T00:00:00Z&end=2026-11-02T00:00:00Z",
    ],
)
async def test_a_read_with_points_is_one_statement(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, statements: list[str], path: str
) -> None:
    """Tenancy is checked inside the read itself; only an empty answer needs a second look."""
    sid = fleet.signal_ids[0]
    written = await client.post(
        "/v1/measurements", content=P % sid, headers={**acme.auth(), **JSON}
    )
    assert written.status_code == 200, written.text
    statements.clear()
    response = await client.get(path.format(sid=sid), headers=acme.auth())
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1
    assert len(statements) == 1, statements
