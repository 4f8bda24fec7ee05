"""SIGTERM while devices are posting: in-flight requests finish, nothing accepted is lost."""

import asyncio
import signal
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from loadtest.live_server import live_server

from assetwatch.embedded_db import embedded_postgres

CLIENTS = 6
POINTS = 200
GRACE_SECONDS = 15


async def _device(
    client: httpx.AsyncClient, signal_id: int, device: int, accepted: list[int]
) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=device)
    for batch in range(10_000):
        points = [
            {
                "signal_id": signal_id,
                "ts": (start + timedelta(seconds=batch * POINTS + i)).isoformat(),
                "value": i,
            }
            for i in range(POINTS)
        ]
        try:
            response = await client.post("/v1/measurements", json={"points": points})
        except httpx.TransportError:
            return  # the server is gone: the batch was not accepted
        if response.status_code != 200:
            assert response.status_code == 503, response.text  # draining is fine; 500 is not
            return
        accepted.append(response.json()["written"])


def test_sigterm_drains_in_flight_requests_and_loses_nothing() -> None:
    with live_server("drain") as server:
        headers = {"Authorization": f"Bearer {server.admin_key}"}
        with httpx.Client(base_url=server.base_url, headers=headers) as setup:
            asset = setup.post("/v1/assets", json={"name": "pump"}).json()["id"]
            signal_id = setup.post(f"/v1/assets/{asset}/signals", json={"name": "flow"}).json()[
                "id"
            ]

        async def stream() -> list[int]:
            accepted: list[int] = []
            async with httpx.AsyncClient(
                base_url=server.base_url, headers=headers, timeout=10
            ) as client:
                devices = [
                    asyncio.create_task(_device(client, signal_id, d, accepted))
                    for d in range(CLIENTS)
                ]
                await asyncio.sleep(1.5)  # let the stream get going
                server.process.send_signal(signal.SIGTERM)
                await asyncio.gather(*devices)
            return accepted

        accepted = asyncio.run(stream())
        exit_code = server.process.wait(GRACE_SECONDS)
        assert exit_code == 0, server.log.read_text()[-2000:]
        assert len(accepted) >= CLIENTS, "the stream never got going"
        with pytest.raises(httpx.TransportError):  # gone: new connections are refused
            httpx.get(f"{server.base_url}/healthz", timeout=2)

        with (
            embedded_postgres(server.data_dir) as url,
            psycopg.connect(url.replace("+psycopg", "")) as conn,
        ):
            stored = conn.execute(
                "SELECT count(*) FROM measurements WHERE signal_id = %s", (signal_id,)
            ).fetchone()
        assert stored is not None
        assert stored[0] == sum(accepted)
