"""`make bench-scale`: storage at N points, as rows and then as segments, in one run.

On a throw-away embedded PostgreSQL: 100 series (4 assets of 25 signals) at 10 s spacing,
values a random walk rounded to 0.1, loaded in time order (every series' point of one instant,
then the next instant: how live ingest lays rows out) by binary COPY into one table: the DEFAULT
partition, where a database migrated from revision 0004 holds its history. Measured through the
HTTP API of one `assetwatch serve` process, first with every point a row (the storage before
segments), then after the maintenance worker has compacted all but the hot window and the
emptied table has been rewritten (`VACUUM FULL measurements_default`, the step README gives
operators after a migration's catch-up) and the database vacuumed and analysed (what autovacuum
would do next, in the middle of the reads: the fresh segments' visibility map, without which
their index-only scans visit the heap). Writes a Markdown report.
"""

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from loadtest.bench.scale_data import (
    HOUR_US,
    MINUTE_US,
    SERIES,
    STEP_US,
    load,
    make_schema,
    parse_count,
    storage,
)
from loadtest.bench.scale_reads import (
    CASE_SECONDS,
    assetwatch_command,
    measure_ingest,
    measure_reads,
    served,
)

from assetwatch.config import Settings
from assetwatch.db import migrations
from assetwatch.db.maintenance import run_cycle
from assetwatch.embedded_db import embedded_postgres


@dataclass
class Run:
    points: int
    load_seconds: float = 0.0
    compact_seconds: float = 0.0
    rewrite_seconds: float = 0.0
    vacuum_seconds: float = 0.0
    flush_seconds: float = 0.0
    empty: dict[str, int] = field(default_factory=dict)
    as_rows: dict[str, int] = field(default_factory=dict)
    as_segments: dict[str, int] = field(default_factory=dict)
    segments: tuple[int, int] = (0, 0)
    reads_as_rows: dict[str, str] = field(default_factory=dict)
    reads_as_segments: dict[str, str] = field(default_factory=dict)


def bench(
    points: int, reads: int, ingest_seconds: float, min_requests: int, rows_from: Path | None
) -> Run:
    instants = points // SERIES
    run = Run(points=instants * SERIES)
    end_us = (time.time_ns() // 1000) // HOUR_US * HOUR_US - 10 * MINUTE_US
    first_us = end_us - (instants - 1) * STEP_US
    with (
        tempfile.TemporaryDirectory(prefix="aw-scale-") as tmp,
        embedded_postgres(Path(tmp)) as url,
    ):
        migrations.upgrade(url)
        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo) as conn:
            assets, signals = make_schema(conn)
            run.empty = storage(conn)
            started = time.monotonic()
            load(conn, signals, first_us, instants)
            run.load_seconds = time.monotonic() - started
            run.as_rows = storage(conn)
            mark_uncompacted(conn, first_us)
        token = create_key(url)
        if rows_from is None:
            with served(url):
                run.reads_as_rows = asyncio.run(
                    measure_reads(token, assets, signals, first_us, end_us, reads, min_requests)
                )
        else:
            run.reads_as_rows = rows_column(rows_from)
        run.compact_seconds = asyncio.run(compact(conninfo, url, end_us))
        run.rewrite_seconds, run.vacuum_seconds, run.flush_seconds = settle(conninfo)
        with psycopg.connect(conninfo) as conn:
            run.as_segments = storage(conn)
            count, held = conn.execute("SELECT count(*), sum(count) FROM segments").fetchone()  # type: ignore[misc]
            run.segments = (int(count), int(held or 0))
        with served(url):
            run.reads_as_segments = asyncio.run(
                measure_reads(token, assets, signals, first_us, end_us, reads, min_requests)
            )
            if ingest_seconds:
                run.reads_as_segments["ingest, 4 connections of 1,000-point batches"] = asyncio.run(
                    measure_ingest(token, signals, ingest_seconds)
                )
    return run


def settle(conninfo: str) -> tuple[float, float, float]:
    """Bring the database to rest after the worker caught up, and the seconds each step took:
    the emptied DEFAULT partition rewritten, the statistics and visibility maps made current
    (autovacuum would otherwise do it during the reads), and every page the load and the
    compaction dirtied written out (a CHECKPOINT, then the kernel's cache), so the reads
    measure the store, not the flush of a quarter of an hour's bulk writing behind them."""
    seconds = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for step in ("VACUUM FULL measurements_default", "VACUUM ANALYZE", "CHECKPOINT"):
            started = time.monotonic()
            conn.execute(step)
            if step == "CHECKPOINT":
                os.sync()
            seconds.append(time.monotonic() - started)
    rewrite, vacuum, flush = seconds
    return rewrite, vacuum, flush


def mark_uncompacted(conn: psycopg.Connection[Any], first_us: int) -> None:
    """Where migration 0005 starts a database holding the loaded rows: nothing compacted."""
    conn.execute(
        "UPDATE storage_state SET compacted_through = "
        "date_trunc('hour', to_timestamp(%s / 1e6), 'UTC')",
        (first_us,),
    )
    conn.execute("UPDATE storage_state SET summarised_through = compacted_through")
    conn.execute(
        "UPDATE slot_seal SET sealed_through = (SELECT compacted_through FROM storage_state)"
    )
    conn.commit()


def create_key(url: str) -> str:
    """An admin key of a new organisation, through the CLI."""
    return subprocess.run(
        assetwatch_command("keys", "create", "--org", "scale", "--role", "admin"),
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


async def compact(conninfo: str, url: str, end_us: int) -> float:
    """One worker cycle over the whole history (until caught up); its seconds. The hour holding
    the last point (`end_us`) stays rows, as a live system's newest hour does: with the default
    hot window, a run started early in an hour found that hour old enough to compact as well,
    and measured reads with no hot rows at all."""
    last_hour_s = end_us // HOUR_US * HOUR_US // 1_000_000
    hot_window = int(time.time()) - last_hour_s  # the cycle's "now - hot window" falls in it
    settings = Settings(database_url=url, storage_hot_window_seconds=hot_window)
    started = time.monotonic()
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await run_cycle(conn, settings)
    return time.monotonic() - started


def rows_column(path: Path) -> dict[str, str]:
    """The "every point a row" read figures of an earlier report, by case."""
    column = {}
    for line in path.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and " ms " in cells[1]:
            column[cells[0]] = cells[1]
    return column


def report(run: Run, args: argparse.Namespace) -> str:
    n = run.points

    def per_point(sizes: dict[str, int], *keys: str) -> str:
        return f"{sum(sizes[k] for k in keys) / n:.2f}"

    rows_option = f" --rows-from {args.rows_from}" if args.rows_from else ""
    lines = [
        "# Storage at scale (`make bench-scale`)",
        "",
        f"`python -m loadtest.bench.scale --points {args.points} --reads {args.reads} "
        f"--min-requests {args.min_requests}{rows_option}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs: {n:,} points, 100 "
        "series at 10 s, a random walk rounded to 0.1, loaded in time order by binary COPY "
        f"({n / run.load_seconds:,.0f} points/s). Reads: sequential requests on one keep-alive "
        "connection to one `assetwatch serve` process, a different series or asset each time; "
        f"a case stops after {CASE_SECONDS:.0f} s once it has {args.min_requests} requests (the "
        f"count is in brackets). Ingest: {args.ingest_seconds:.0f} s of 4 connections posting "
        "1,000-point batches stamped now (the same path for both stores: new points are rows).",
        *(
            []
            if args.rows_from is None
            else [
                "",
                f"The row store's read figures are those of `{args.rows_from}`, an earlier run of "
                "this script at the same size (`--rows-from`); every other figure is this run's.",
            ]
        ),
        "",
        f"The worker compacted them in {run.compact_seconds:.1f} s "
        f"({n / run.compact_seconds:,.0f} points/s) into {run.segments[0]:,} segments holding "
        f"{run.segments[1]:,} points; the rest, the hot window, are rows. Rewriting the emptied "
        f"table (`VACUUM FULL measurements_default`) took {run.rewrite_seconds:.1f} s; "
        f"`VACUUM ANALYZE` of the database, which autovacuum would otherwise run during the "
        f"reads, {run.vacuum_seconds:.1f} s; writing every dirty page out (`CHECKPOINT`, then "
        f"`sync`), so the reads do not share the disk with that flush, {run.flush_seconds:.1f} s.",
        "",
        "| | every point a row | segments (after the worker) |",
        "|---|---|---|",
        f"| bytes a point: point rows + segments, with indexes | {per_point(run.as_rows, 'rows')} "
        f"| {per_point(run.as_segments, 'rows', 'segments')} (rows "
        f"{run.as_segments['rows'] / 1e6:.1f} MB, segments and day summaries "
        f"{run.as_segments['segments'] / 1e6:.1f} MB) |",
        f"| bytes a point: database growth | "
        f"{(run.as_rows['database'] - run.empty['database']) / n:.2f} | "
        f"{(run.as_segments['database'] - run.empty['database']) / n:.2f} |",
    ]
    for name, figure in run.reads_as_segments.items():
        missing = "(same path)" if name.startswith("ingest") else "(not in that report)"
        before = run.reads_as_rows.get(name, missing)
        lines.append(f"| {name} | {before} | {figure} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", default="10M")
    parser.add_argument("--reads", type=int, default=200, help="requests per read case")
    parser.add_argument("--ingest-seconds", type=float, default=10)
    parser.add_argument(
        "--min-requests",
        type=int,
        default=5,
        help="a case stops after 20 s once it has this many (the row store's slowest take minutes)",
    )
    parser.add_argument("--out", default="docs/benchmarks-scale.md")
    parser.add_argument(
        "--rows-from",
        type=Path,
        help="take the row store's read figures from this earlier report of the same size "
        "instead of measuring them again (they take about 15 minutes at 100 M points)",
    )
    args = parser.parse_args()
    run = bench(
        parse_count(args.points), args.reads, args.ingest_seconds, args.min_requests, args.rows_from
    )
    text = report(run, args)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
