"""Concurrent writers on a real engine and pool (not the single-connection test fixture)."""

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest

from assetwatch.config import Settings
from tests.integration.conftest import TEMPLATE_DB, PgServer
from tests.integration.resilience.serving import serving

_names = (f"aw_concurrency_{n}" for n in itertools.count())


@pytest.fixture
def database_url(pg: PgServer, migrated_url: str) -> Iterator[str]:
    name = next(_names)
    with pg.janitor(name, template=TEMPLATE_DB):
        yield pg.url_for(name)


@pytest.fixture
async def served(
    settings: Settings, database_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with serving(settings, database_url, "race") as client:
        yield client, database_url


async def _asset_with_signal(client: httpx.AsyncClient) -> tuple[int, int]:
    asset = (await client.post("/v1/assets", json={"name": "Racer"})).json()["id"]
    signal = (await client.post(f"/v1/assets/{asset}/signals", json={"name": "s"})).json()["id"]
    return asset, signal


async def test_the_same_batch_from_ten_clients_lands_once(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, url = served
    _, signal_id = await _asset_with_signal(client)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    points = [
        {"signal_id": signal_id, "ts": (start + timedelta(seconds=i)).isoformat(), "value": i}
        for i in range(500)
    ]
    responses = await asyncio.gather(
        *(client.post("/v1/measurements", json={"points": points}) for _ in range(10))
    )
    assert [r.status_code for r in responses] == [200] * 10
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        rows = await conn.execute(
            "SELECT count(*), count(DISTINCT ts), sum(value) FROM measurements"
            " WHERE signal_id = %s",
            (signal_id,),
        )
        assert await rows.fetchone() == (500, 500, sum(range(500)))


async def test_concurrent_patches_of_different_fields_both_land(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = served
    asset_id, _ = await _asset_with_signal(client)
    for round_ in range(5):
        kind, description = f"kind-{round_}", f"description {round_}"
        responses = await asyncio.gather(
            client.patch(f"/v1/assets/{asset_id}", json={"kind": kind}),
            client.patch(f"/v1/assets/{asset_id}", json={"description": description}),
        )
        assert [r.status_code for r in responses] == [200, 200]
        asset = (await client.get(f"/v1/assets/{asset_id}")).json()
        assert (asset["kind"], asset["description"]) == (kind, description)


async def test_concurrent_patches_of_one_field_end_with_one_of_them(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = served
    asset_id, _ = await _asset_with_signal(client)
    values = [f"value {n}" for n in range(8)]
    responses = await asyncio.gather(
        *(client.patch(f"/v1/assets/{asset_id}", json={"description": v}) for v in values)
    )
    assert {r.status_code for r in responses} == {200}
    final = (await client.get(f"/v1/assets/{asset_id}")).json()["description"]
    assert final in values
