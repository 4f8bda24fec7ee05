"""In-process CPU of the last-100 read, assetwatch against the floor, with no database in the way.

    python -m loadtest.bench.inprocess [--batches 30] [--batch 200] [--profile]

Both apps are started on an embedded PostgreSQL (a temporary one) and called with raw ASGI
messages, no sockets. Their pools are then replaced by one that answers every statement with
the rows PostgreSQL returned for it (101 for assetwatch, which asks for one more to know whether
there is a next page; 100 for the floor), so a request costs only the Python each app runs
around the same SQL: routing, dependencies, authentication, middleware, the service, encoding.
Each app is timed in batches of sequential requests (`time.process_time`), the two interleaved;
the minimum of the batches is the figure least moved by other work on the machine. `make bench`
measures the servers for real; this tells where a difference between them comes from.
`--profile` adds a cProfile of assetwatch's requests.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
from fastapi import FastAPI
from loadtest.bench.servers import prepare_database

from assetwatch.embedded_db import embedded_postgres

POINTS = 500


class _Rows:
    """A pool whose connections answer every statement with `rows` (at most its `limit`)."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    @asynccontextmanager
    async def connection(self) -> AsyncIterator["_Rows"]:
        yield self

    async def execute(self, sql: str, params: dict[str, Any]) -> "_Rows":
        self._answer = self.rows[: params.get("limit", len(self.rows))]
        return self

    async def fetchall(self) -> list[tuple[Any, ...]]:
        return self._answer


def _caller(app: FastAPI, path: str, query: bytes, token: str) -> Callable[[], Awaitable[None]]:
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def call() -> None:
        status = 0

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query,
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        await app(scope, receive, send)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")

    return call


async def _batches(call: Callable[[], Awaitable[None]], size: int) -> float:
    started = time.process_time()
    for _ in range(size):
        await call()
    return (time.process_time() - started) / size * 1e6


async def measure(url: str, key: str, signal: int, organization: int, args: Any) -> None:
    os.environ.update(FLOOR_DATABASE_URL=url, FLOOR_ORGANIZATION_ID=str(organization))
    from loadtest.bench import floor_app

    from assetwatch.api.app import create_app
    from assetwatch.config import Settings
    from assetwatch.db.telemetry_store import SqlTelemetryStore

    assetwatch = create_app(Settings(database_url=url, log_level="WARNING"))
    floor = floor_app.app
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT ts, value FROM measurements WHERE signal_id = %s ORDER BY ts DESC LIMIT 101",
            (signal,),
        ).fetchall()
    async with assetwatch.router.lifespan_context(assetwatch), floor.router.lifespan_context(floor):
        runtime = assetwatch.state.runtime
        await runtime.database.pool.wait(timeout=30)
        answers = _Rows(list(rows))
        assetwatch.state.runtime = replace(runtime, telemetry=SqlTelemetryStore(answers))
        floor.state.pool = answers
        calls = {
            "floor": _caller(floor, f"/floor/signals/{signal}/last100", b"", key),
            "assetwatch": _caller(
                assetwatch, f"/v1/signals/{signal}/measurements", b"order=desc&limit=100", key
            ),
        }
        for call in calls.values():
            await _batches(call, 100)  # warm: caches, key lookup
        results: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.batches):
            for name, call in calls.items():
                results[name].append(await _batches(call, args.batch))
        for name, xs in results.items():
            print(
                f"{name:10} CPU a read: min {min(xs):6.1f} µs, p10"
                f" {statistics.quantiles(xs, n=10)[0]:6.1f}, median {statistics.median(xs):6.1f}"
            )
        ratio = min(results["floor"]) / min(results["assetwatch"])
        print(f"floor / assetwatch (min): {ratio:.0%}")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            await _batches(calls["assetwatch"], 3000)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    with (
        tempfile.TemporaryDirectory() as tmp,
        embedded_postgres(Path(tmp), cleanup="delete") as url,
    ):
        tenant = prepare_database(url, dict(os.environ))
        key, signals, organization = tenant.key, tenant.signals, tenant.organization_id
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(
                "INSERT INTO measurements (signal_id, ts, value) SELECT %s,"
                " now() - g * interval '1 minute', g FROM generate_series(1, %s) AS g",
                (signals[0], POINTS),
            )
        import uvloop  # as uvicorn serves: uvloop is installed with uvicorn[standard]

        uvloop.run(measure(url, key, signals[0], organization, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
