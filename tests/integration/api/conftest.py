"""The app end to end over HTTP (httpx, in process) on the real, migrated PostgreSQL.

Each test's requests share one connection whose transaction is rolled back afterwards, so the
API is tested as a black box while tests stay independent.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from assetwatch.api.app import create_app
from assetwatch.bootstrap import Runtime
from assetwatch.config import Settings
from assetwatch.db.telemetry_store import SqlTelemetryStore
from assetwatch.db.unit_of_work import SqlUnitOfWork
from assetwatch.domain import Role
from assetwatch.observability import count_statements_of
from assetwatch.services import tenancy
from tests.integration.conftest import RolledBackConnections

pytestmark = pytest.mark.api


@pytest.fixture
async def app(
    settings: Settings,
    migrated_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    connections: RolledBackConnections,
) -> AsyncIterator[FastAPI]:
    # The app's own pool serves nothing here (the test's connection does): one connection,
    # ready (and warmed up) before the test starts, so that nothing runs behind its back.
    app = create_app(settings.model_copy(update={"db_pool_size": 1}), database_url=migrated_url)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        await runtime.database.pool.wait()
        app.state.runtime = replace(
            runtime,
            session_factory=session_factory,  # the test's rolled-back connection
            telemetry=SqlTelemetryStore(connections),  # the same connection
        )
        count_statements_of(engine.sync_engine)
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@dataclass
class Tenant:
    slug: str
    organization_id: int
    tokens: dict[Role, str]

    def auth(self, role: Role = Role.admin) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


async def make_tenant(uow: SqlUnitOfWork, slug: str) -> Tenant:
    org = await tenancy.create_organization(uow, slug, slug.title())
    tokens = {}
    for role in Role:
        issued = await tenancy.create_key_for_slug(uow, slug, f"{role.value} key", role)
        tokens[role] = issued.token
    assert org.id is not None
    return Tenant(slug, org.id, tokens)


@pytest.fixture
async def acme(uow: SqlUnitOfWork) -> Tenant:
    return await make_tenant(uow, "acme")


@pytest.fixture
async def globex(uow: SqlUnitOfWork) -> Tenant:
    return await make_tenant(uow, "globex")


@dataclass
class Fleet:
    """One asset with two signals, created through the API."""

    asset_id: int
    signal_ids: list[int]


async def create_fleet(client: httpx.AsyncClient, tenant: Tenant, name: str = "Tractor 7") -> Fleet:
    response = await client.post(
        "/v1/assets", json={"name": name, "kind": "tractor"}, headers=tenant.auth()
    )
    assert response.status_code == 201, response.text
    asset_id = response.json()["id"]
    signal_ids = []
    for signal, unit in (("engine_temp", "°C"), ("fuel_level", "%")):
        created = await client.post(
            f"/v1/assets/{asset_id}/signals",
            json={"name": signal, "unit": unit},
            headers=tenant.auth(),
        )
        assert created.status_code == 201, created.text
        signal_ids.append(created.json()["id"])
    return Fleet(asset_id, signal_ids)


@pytest.fixture
async def fleet(client: httpx.AsyncClient, acme: Tenant) -> Fleet:
    return await create_fleet(client, acme)
