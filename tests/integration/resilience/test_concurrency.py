"""Concurrent writers on a real engine and pool (not the single-connection test fixture)."""

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from assetwatch.config import Settings
from assetwatch.db.queries import INGEST, ingest_params
from assetwatch.domain import Points
from tests.integration.conftest import TEMPLATE_DB, PgServer
from tests.integration.resilience.serving import serving

_names = (f"aw_concurrency_{n}" for n in itertools.count())


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as psycopg's connection string."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


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
    dsn = _libpq(url)
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


# --- ingest against a signal's deletion (measurements have no FK: migration 0004) ----------

BLOCKED_SECONDS = 0.5


@pytest.fixture
async def late_signal(database_url: str) -> tuple[str, int, int]:
    """(connection string, organisation id, signal id) of a signal whose latest point is newer
    than any a test writes: a late batch leaves the signal row alone, so only the ingest's own
    lock guards it."""
    dsn = _libpq(database_url)
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        org = await (
            await conn.execute(
                "INSERT INTO organizations (slug, name) VALUES ('o', 'O') RETURNING id"
            )
        ).fetchone()
        asset = await (
            await conn.execute(
                "INSERT INTO assets (organization_id, name, kind)"
                " VALUES (%s, 'a', 'k') RETURNING id",
                org,
            )
        ).fetchone()
        signal = await (
            await conn.execute(
                "INSERT INTO signals (asset_id, name, last_ts, last_value)"
                " VALUES (%s, 's', '2030-01-01Z', 1) RETURNING id",
                asset,
            )
        ).fetchone()
    assert org is not None
    assert signal is not None
    return dsn, org[0], signal[0]


async def _ingest(conn: psycopg.AsyncConnection[Any], org: int, signal: int) -> list[int]:
    """The service's own ingest statement for three points of `signal`; the unknown signal ids."""
    stamps = [datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=m) for m in range(3)]
    points = Points([signal] * 3, stamps, [0.0, 1.0, 2.0])
    cursor = await conn.execute(INGEST.sql, ingest_params(org, points))
    return [row[0] for row in await cursor.fetchall()]


async def _points_of(dsn: str, signal: int) -> int:
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        row = await (
            await conn.execute("SELECT count(*) FROM measurements WHERE signal_id = %s", (signal,))
        ).fetchone()
    assert row is not None
    return int(row[0])


async def _still_waiting(task: "asyncio.Task[Any]") -> bool:
    try:
        await asyncio.wait_for(asyncio.shield(task), BLOCKED_SECONDS)
    except TimeoutError:
        return True
    return False


DELETE_SIGNAL = "DELETE FROM signals WHERE id = %s"


@asynccontextmanager
async def _transaction_and_autocommit(
    dsn: str,
) -> AsyncIterator[tuple[psycopg.AsyncConnection[Any], psycopg.AsyncConnection[Any]]]:
    """Two connections: one whose work stays uncommitted until the test commits it, and one
    whose every statement commits (or waits) at once."""
    async with (
        await psycopg.AsyncConnection.connect(dsn) as in_transaction,
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as autocommit,
    ):
        yield in_transaction, autocommit


async def test_a_signal_deleted_while_a_batch_is_written_waits_for_it_and_takes_its_points(
    late_signal: tuple[str, int, int],
) -> None:
    dsn, org, signal = late_signal
    async with _transaction_and_autocommit(dsn) as (writer, deleter):
        assert await _ingest(writer, org, signal) == []  # written, not committed yet
        deletion = asyncio.create_task(deleter.execute(DELETE_SIGNAL, (signal,)))
        assert await _still_waiting(deletion)  # the batch's lock on its signal holds it
        await writer.commit()
        await asyncio.wait_for(deletion, 5)
    assert await _points_of(dsn, signal) == 0  # the trigger saw the committed batch


async def test_a_batch_for_a_signal_being_deleted_waits_then_writes_nothing(
    late_signal: tuple[str, int, int],
) -> None:
    dsn, org, signal = late_signal
    async with _transaction_and_autocommit(dsn) as (deleter, writer):
        await deleter.execute(DELETE_SIGNAL, (signal,))  # not committed
        ingest = asyncio.create_task(_ingest(writer, org, signal))
        assert await _still_waiting(ingest)
        await deleter.commit()
        assert await asyncio.wait_for(ingest, 5) == [signal]  # unknown now: nothing written
    assert await _points_of(dsn, signal) == 0


async def test_deleting_an_organisation_deletes_the_points_of_its_signals(
    late_signal: tuple[str, int, int],
) -> None:
    dsn, org, signal = late_signal
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        assert await _ingest(conn, org, signal) == []
        assert await _points_of(dsn, signal) == 3
        await conn.execute("DELETE FROM organizations WHERE id = %s", (org,))
    assert await _points_of(dsn, signal) == 0
