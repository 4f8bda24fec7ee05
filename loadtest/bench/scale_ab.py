"""Two commits' servers on one database, answering alternate requests: a change to the reads,
measured in one run.

    python -m loadtest.bench.scale_ab --base REV [--points 10M] [--requests 200] [--cases a,b]
                                      [--keep DIR]

The machine drifts by more between runs than most changes move a read, so the two servers run
side by side: the database is built as `make bench-scale` builds it (loaded in time order,
compacted by the worker, vacuumed, analysed and flushed), the base commit is checked out into a
temporary git worktree, and one `assetwatch serve` runs each tree's source (PYTHONPATH) with the
same settings. Each read case of `make bench-scale` (those whose name holds one of `--cases`)
sends its requests to both servers in turn, which one goes first swapped each time, and prints
both medians and p99s. With `--keep DIR` the database stays in DIR and a later run with the
same DIR and `--points` measures on it instead of building another (a 100 M build takes a
quarter of an hour).
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from loadtest.bench.http import HttpClient, get_ok
from loadtest.bench.scale import compact, create_key, mark_uncompacted, settle
from loadtest.bench.scale_data import (
    HOUR_US,
    MINUTE_US,
    SERIES,
    STEP_US,
    load,
    make_schema,
    parse_count,
)
from loadtest.bench.scale_reads import assetwatch_command, case_path, read_cases

from assetwatch.db import migrations
from assetwatch.embedded_db import embedded_postgres

PORTS = {"base": 8781, "head": 8782}
GIT = shutil.which("git") or "git"
REPO = Path(__file__).resolve().parents[2]


def build(url: str, points: int) -> tuple[list[int], list[int], int, int, str]:
    """The bench-scale data set, compacted and vacuumed; its assets, signals, span and a key."""
    instants = points // SERIES
    end_us = (time.time_ns() // 1000) // HOUR_US * HOUR_US - 10 * MINUTE_US
    first_us = end_us - (instants - 1) * STEP_US
    migrations.upgrade(url)
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        assets, signals = make_schema(conn)
        load(conn, signals, first_us, instants)
        mark_uncompacted(conn, first_us)
    asyncio.run(compact(conninfo, url, end_us))
    settle(conninfo)
    token = create_key(url)
    return assets, signals, first_us, end_us, token


def kept(url: str, points: int, where: Path) -> tuple[list[int], list[int], int, int, str]:
    """`build`'s data set, built once per directory and size: what it returned is kept beside
    the database, so a later run on the same directory measures on it again."""
    record = where / f"data-{points}.json"
    if record.exists():
        assets, signals, first_us, end_us, token = json.loads(record.read_text())
        return assets, signals, first_us, end_us, token
    data = build(url, points)
    record.write_text(json.dumps(data))
    return data


@contextmanager
def servers(url: str, trees: dict[str, Path]) -> Iterator[None]:
    processes = []
    for name, tree in trees.items():
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
            "DB_STATEMENT_TIMEOUT_MS": "0",
            "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{tree}",
        }
        command = assetwatch_command("serve", "--port", str(PORTS[name]), "--no-worker")
        processes.append(
            subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    try:
        for port in PORTS.values():
            asyncio.run(_ready(port))
        yield
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


async def _ready(port: int) -> None:
    for _ in range(300):
        try:
            async with HttpClient("127.0.0.1", port, "") as client:
                await get_ok(client, "/readyz", {})
                return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not become ready")


async def measure(
    data: tuple[list[int], list[int], int, int, str], requests: int, cases: list[str]
) -> None:
    assets, signals, first_us, end_us, token = data
    async with (
        HttpClient("127.0.0.1", PORTS["base"], token) as base,
        HttpClient("127.0.0.1", PORTS["head"], token) as head,
    ):
        for name, (kind, params) in read_cases(first_us, end_us).items():
            if cases and not any(case in name for case in cases):
                continue
            samples: dict[str, list[float]] = {"base": [], "head": []}
            for i in range(requests):
                path = case_path(kind, signals[i % len(signals)], assets[i % len(assets)])
                order = [("base", base), ("head", head)]
                for label, client in order if i % 2 else order[::-1]:
                    started = time.perf_counter()
                    await get_ok(client, path, params)
                    samples[label].append((time.perf_counter() - started) * 1000)
            cells = []
            for label, xs in samples.items():
                xs.sort()
                p99 = xs[min(len(xs) - 1, int(len(xs) * 0.99))]
                cells.append(f"{label} {statistics.median(xs):7.2f} ms median, {p99:7.2f} p99")
            print(f"{name[:52]:52} | {' | '.join(cells)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare head's tree with")
    parser.add_argument("--points", default="10M")
    parser.add_argument("--requests", type=int, default=200, help="per case and server")
    parser.add_argument("--cases", default="", help="comma-separated parts of case names")
    parser.add_argument("--keep", type=Path, help="build the database here once, then reuse it")
    args = parser.parse_args()
    cases = [case for case in args.cases.split(",") if case]
    with tempfile.TemporaryDirectory(prefix="aw-ab-") as tmp:
        tree = Path(tmp) / "base"
        subprocess.run(
            [GIT, "-C", str(REPO), "worktree", "add", "--detach", str(tree), args.base],
            check=True,
            capture_output=True,
        )
        try:
            where = args.keep or Path(tmp) / "db"
            with embedded_postgres(where, cleanup="stop" if args.keep else "delete") as url:
                data = kept(url, parse_count(args.points), where)
                with servers(url, {"base": tree, "head": REPO}):
                    asyncio.run(measure(data, args.requests, cases))
        finally:
            subprocess.run(
                [GIT, "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=True
            )


if __name__ == "__main__":
    main()
