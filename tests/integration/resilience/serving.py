"""An app on a real engine and pool, with a tenant and its admin key, over in-process HTTP."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from assetwatch.api.app import create_app
from assetwatch.bootstrap import Runtime
from assetwatch.config import Settings
from assetwatch.domain import Role
from assetwatch.services import tenancy


@asynccontextmanager
async def serving(
    settings: Settings, database_url: str, slug: str
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database_url=database_url)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        uow = runtime.unit_of_work()
        await tenancy.create_organization(uow, slug, slug.title())
        token = (await tenancy.create_key_for_slug(uow, slug, "k", Role.admin)).token
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=headers
        ) as client:
            yield client
