"""Ingest at head (hourly partitions) against an earlier revision (`--base`, by default 0004's one
plain table), in one run.

The ingest statement (`assetwatch.db.queries.INGEST`; for a revision before 0008, which had no
log of changed slots, the statement as it then was) on two databases of one embedded
PostgreSQL, one at each revision, in interleaved rounds: 4 connections each sending 1,000-point
batches of one signal, stamped in the current hour (where live points go), for `--seconds` a round.
Where the revision has them (0005 on), the worker's hourly partitions exist (as `create_ahead`
makes them) and the points land in the current hour's one. Prints points/s per round and the
median ratio.
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


async def round_(
    conninfo: str, org: int, seconds: float, offset: int, statement: queries.Compiled
) -> float:
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
                params = statement.params(queries.ingest_params(org, points))
                await conn.execute(statement.sql, params)
                written += BATCH
                k += 1

    started = time.monotonic()
    await asyncio.gather(*(connection(w) for w in range(CONNECTIONS)))
    return written / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--base",
        default="0004",
        help="the revision to compare head with (0004: one plain table; 0005 on: partitions)",
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="aw-ingest-") as tmp,
        embedded_postgres(Path(tmp)) as url,
    ):
        admin = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE base")
            conn.execute("CREATE DATABASE head")
        urls = {name: url.replace("/assetwatch?", f"/{name}?") for name in ("base", "head")}
        orgs = {"base": prepare(urls["base"], args.base), "head": prepare(urls["head"], "head")}
        conninfo = {k: u.replace("postgresql+psycopg://", "postgresql://") for k, u in urls.items()}
        asyncio.run(_partitions(conninfo["head"]))
        if args.base >= "0005":
            asyncio.run(_partitions(conninfo["base"]))
        statements = {
            "base": queries.INGEST_BEFORE_0008 if args.base < "0008" else queries.INGEST,
            "head": queries.INGEST,
        }
        rates: dict[str, list[float]] = {"base": [], "head": []}
        for r in range(args.rounds):
            for name in ("base", "head") if r % 2 == 0 else ("head", "base"):
                rate = asyncio.run(
                    round_(conninfo[name], orgs[name], args.seconds, r * 10**11, statements[name])
                )
                rates[name].append(rate)
                print(f"round {r + 1} {name}: {rate:,.0f} points/s", flush=True)
        ratios = [h / b for h, b in zip(rates["head"], rates["base"], strict=True)]
        print(
            f"median: revision {args.base} {statistics.median(rates['base']):,.0f} points/s, "
            f"head {statistics.median(rates['head']):,.0f} points/s; head/{args.base} "
            f"{statistics.median(ratios):.2f} (rounds {min(ratios):.2f} to {max(ratios):.2f})"
        )


if __name__ == "__main__":
    main()
