"""/v1/retention: an organisation's own retention or the deployment's default, for admins."""

from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from assetwatch.config import Settings
from assetwatch.domain import Role

from .conftest import Tenant

pytestmark = pytest.mark.api

FOREVER = {"days": None, "inherited": True, "default_days": None}


async def _get(client: httpx.AsyncClient, tenant: Tenant) -> Any:
    response = await client.get("/v1/retention", headers=tenant.auth())
    assert response.status_code == 200, response.text
    return response.json()


async def _put(client: httpx.AsyncClient, tenant: Tenant, days: int | None) -> Any:
    response = await client.put("/v1/retention", json={"days": days}, headers=tenant.auth())
    assert response.status_code == 200, response.text
    return response.json()


async def _stored(connection: AsyncConnection, tenant: Tenant) -> int | None:
    result = await connection.execute(
        text("SELECT retention_days FROM organizations WHERE id = :id"),
        {"id": tenant.organization_id},
    )
    days: int | None = result.scalar_one()
    return days


async def test_by_default_telemetry_is_kept_forever(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    assert await _get(client, acme) == FOREVER


async def test_an_organisation_inherits_the_deployments_default(
    app: FastAPI, client: httpx.AsyncClient, acme: Tenant, settings: Settings
) -> None:
    app.state.runtime = replace(
        app.state.runtime, settings=settings.model_copy(update={"retention_days": 90})
    )
    assert await _get(client, acme) == {"days": 90, "inherited": True, "default_days": 90}


async def test_an_admin_sets_its_own_days_and_null_goes_back_to_the_default(
    app: FastAPI,
    client: httpx.AsyncClient,
    acme: Tenant,
    settings: Settings,
    connection: AsyncConnection,
) -> None:
    app.state.runtime = replace(
        app.state.runtime, settings=settings.model_copy(update={"retention_days": 90})
    )
    own = {"days": 30, "inherited": False, "default_days": 90}
    assert await _put(client, acme, 30) == own
    assert await _get(client, acme) == own
    assert await _stored(connection, acme) == 30

    assert await _put(client, acme, 30) == own  # idempotent
    back = {"days": 90, "inherited": True, "default_days": 90}
    assert await _put(client, acme, None) == back
    assert await _get(client, acme) == back
    assert await _stored(connection, acme) is None


async def test_one_organisations_setting_leaves_anothers_alone(
    client: httpx.AsyncClient, acme: Tenant, globex: Tenant, connection: AsyncConnection
) -> None:
    await _put(client, acme, 1)
    await _put(client, globex, 365)
    assert (await _get(client, acme))["days"] == 1
    assert (await _get(client, globex))["days"] == 365
    await _put(client, acme, None)
    assert await _get(client, acme) == FOREVER
    assert (await _get(client, globex))["days"] == 365
    assert (await _stored(connection, acme), await _stored(connection, globex)) == (None, 365)


@pytest.mark.parametrize("role", [Role.reader, Role.writer])
async def test_readers_and_writers_may_neither_read_nor_change_it(
    client: httpx.AsyncClient, acme: Tenant, connection: AsyncConnection, role: Role
) -> None:
    await _put(client, acme, 30)
    read = await client.get("/v1/retention", headers=acme.auth(role))
    change = await client.put("/v1/retention", json={"days": 1}, headers=acme.auth(role))
    assert (read.status_code, change.status_code) == (403, 403)
    assert change.headers["content-type"] == "application/problem+json"
    assert await _stored(connection, acme) == 30


async def test_without_a_key_it_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/retention")).status_code == 401
    assert (await client.put("/v1/retention", json={"days": 1})).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"days": 0},
        {"days": -5},
        {"days": 36_501},
        {"days": 1.5},
        {"days": "30"},
        {"days": True},
        {"days": [30]},
        {},
        {"days": 30, "extra": 1},
    ],
)
async def test_invalid_days_are_422_and_nothing_changes(
    client: httpx.AsyncClient, acme: Tenant, connection: AsyncConnection, body: dict[str, Any]
) -> None:
    await _put(client, acme, 30)
    response = await client.put("/v1/retention", json=body, headers=acme.auth())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    locs = [e["loc"][:2] for e in response.json()["errors"]]
    assert ["body", "days"] in locs or ["body", "extra"] in locs, locs
    assert await _stored(connection, acme) == 30


@pytest.mark.parametrize("days", [1, 36_500])
async def test_the_bounds_are_accepted(client: httpx.AsyncClient, acme: Tenant, days: int) -> None:
    assert (await _put(client, acme, days))["days"] == days


async def test_the_operations_are_documented(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert set(paths["/v1/retention"]) == {"get", "put"}
    for operation in paths["/v1/retention"].values():
        assert {"401", "403", "422"} <= set(operation["responses"])
