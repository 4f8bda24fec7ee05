"""Ingest into one plain table (revision 0004) against hourly partitions (0005), in one run.

The same ingest statement (`assetwatch.db.queries.INGEST`) on two databases of one embedded
PostgreSQL, one at each revision, in interleaved rounds: 4 connections each sending 1,000-point
batches of one signal, stamped in the current hour (where live points go), for `--seconds` a round.
With 0005 the worker's hourly partitions exist (as `create_ahead` makes them) and the points land
in the current hour's one. Prints points/s per round and the median ratio.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from assetwatch.db import migrations, partitions, queries
from assetwatch.domain import Points
from assetwatch.embedded_db import embedded_postgres

SIGNALS = 40
CONNECTIONS = 4
BATCH = 1000


def prepare(url: str, revision: str) -> int:
    migrations.upgrade(url, revision)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        org = conn.execute("INSERT INTO organizations (slug, name) VALUES ('i', 'I') RETURNING id")
        org_id = org.fetchone()[0]  # type: ignore[index]
        asset = conn.execute(
            "INSERT INTO assets (organization_id, name, kind) VALUES (%s, 'a', 'k') RETURNING id",
            (org_id,),
        ).fetchone()[0]  # type: ignore[index]
        for i in range(SIGNALS):
            conn.execute("INSERT INTO signals (asset_id, name) VALUES (%s, %s)", (asset, f"s{i}"))
    return int(org_id)


async def _partitions(conninfo: str) -> None:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        now = datetime.now(UTC)
        await partitions.create_ahead(conn, now, timedelta(hours=2), lock_timeout_ms=1000)


async def round_(conninfo: str, org: int, seconds: float, offset: int) -> float:
    deadline = time.monotonic() + seconds
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    written = 0

    async def connection(worker: int) -> None:
        nonlocal written
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
            k = 0
            while time.monotonic() < deadline:
                signal = 1 + (worker * 11 + k) % SIGNALS
                base = hour + timedelta(microseconds=offset + worker * 10**9 + k * BATCH)
                points = Points(
                    [signal] * BATCH,
                    [base + timedelta(microseconds=j) for j in range(BATCH)],
                    [j * 0.1 for j in range(BATCH)],
                )
                params = queries.INGEST.params(queries.ingest_params(org, points))
                await conn.execute(queries.INGEST.sql, params)
                written += BATCH
                k += 1

    started = time.monotonic()
    await asyncio.gather(*(connection(w) for w in range(CONNECTIONS)))
    return written / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="aw-ingest-") as tmp,
        embedded_postgres(Path(tmp)) as url,
    ):
        admin = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE plain")
            conn.execute("CREATE DATABASE parts")
        urls = {name: url.replace("/assetwatch?", f"/{name}?") for name in ("plain", "parts")}
        orgs = {"plain": prepare(urls["plain"], "0004"), "parts": prepare(urls["parts"], "head")}
        conninfo = {k: u.replace("postgresql+psycopg://", "postgresql://") for k, u in urls.items()}
        asyncio.run(_partitions(conninfo["parts"]))
        rates: dict[str, list[float]] = {"plain": [], "parts": []}
        for r in range(args.rounds):
            for name in ("plain", "parts") if r % 2 == 0 else ("parts", "plain"):
                rate = asyncio.run(round_(conninfo[name], orgs[name], args.seconds, r * 10**11))
                rates[name].append(rate)
                print(f"round {r + 1} {name}: {rate:,.0f} points/s", flush=True)
        ratios = [p / q for p, q in zip(rates["parts"], rates["plain"], strict=True)]
        print(
            f"median: one table {statistics.median(rates['plain']):,.0f} points/s, hourly "
            f"partitions {statistics.median(rates['parts']):,.0f} points/s; partitions/table "
            f"{statistics.median(ratios):.2f} (rounds {min(ratios):.2f} to {max(ratios):.2f})"
        )


if __name__ == "__main__":
    main()
