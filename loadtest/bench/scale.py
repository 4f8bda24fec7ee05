"""`make bench-scale`: storage at N points, as rows and then as segments, in one run.

On a throw-away embedded PostgreSQL: 100 series (4 assets of 25 signals) at 10 s spacing,
values a random walk rounded to 0.1, loaded in time order (every series' point of one instant,
then the next instant: how live ingest lays rows out) by binary COPY into one table: the DEFAULT
partition, where a database migrated from revision 0004 holds its history. Measured through the
HTTP API of one `assetwatch serve` process, first with every point a row (the storage before
segments), then after the maintenance worker has compacted all but the hot window and the
emptied table has been rewritten (`VACUUM FULL measurements_default`, the step README gives
operators after a migration's catch-up). Writes a Markdown report.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from loadtest.bench.http import HttpClient, get_ok, post_ok

from assetwatch.config import Settings
from assetwatch.db import migrations
from assetwatch.db.maintenance import run_cycle
from assetwatch.embedded_db import embedded_postgres

SERIES, ASSETS, STEP_US = 100, 4, 10_000_000
HOUR_US, DAY_US, MINUTE_US = 3_600_000_000, 86_400_000_000, 60_000_000
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
PORT = 8765
CASE_SECONDS = 20.0  # a read case stops after this long, once it has --min-requests
_FIELDS = [("sid", ">i8"), ("ts", ">i8"), ("v", ">f8")]
# A row of binary COPY: the field count, then each field's length and value.
COPY_ROW = np.dtype(
    [("n", ">i2"), *(item for i, f in enumerate(_FIELDS, 1) for item in ((f"l{i}", ">i4"), f))]
)


def parse_count(text: str) -> int:
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def iso(us: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)).isoformat()


def scalar(conn: psycopg.Connection[Any], sql: str, params: Any = None) -> Any:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def make_schema(conn: psycopg.Connection[Any]) -> tuple[list[int], list[int]]:
    org = scalar(
        conn, "INSERT INTO organizations (slug, name) VALUES ('scale', 'Scale') RETURNING id"
    )
    assets, signals = [], []
    for a in range(ASSETS):
        sql = (
            "INSERT INTO assets (organization_id, name, kind) VALUES (%s, %s, 'node') RETURNING id"
        )
        assets.append(scalar(conn, sql, (org, f"node {a}")))
        for s in range(SERIES // ASSETS):
            sql = "INSERT INTO signals (asset_id, name) VALUES (%s, %s) RETURNING id"
            signals.append(scalar(conn, sql, (assets[-1], f"s{s}")))
    conn.commit()
    return assets, signals


def copy_buffer(sids: np.ndarray, ts_us: np.ndarray, values: np.ndarray) -> bytes:
    """Rows in PostgreSQL's binary COPY format, built by numpy (no Python loop per row)."""
    out = np.empty(len(sids), dtype=COPY_ROW)
    out["n"], out["l1"], out["l2"], out["l3"] = 3, 8, 8, 8
    out["sid"], out["ts"], out["v"] = sids, ts_us - PG_EPOCH_US, values
    return out.tobytes()


def load(conn: psycopg.Connection[Any], signals: list[int], first_us: int, instants: int) -> None:
    """`instants` points of every series from `first_us` on, in time order."""
    rng = np.random.default_rng(7)
    level = 20 + rng.normal(0, 5, SERIES)
    sid_row = np.array(signals, dtype=np.int64)
    block = 10_000  # instants per COPY
    for first in range(0, instants, block):
        n = min(block, instants - first)
        walk = level + np.cumsum(rng.normal(0, 0.5, (n, SERIES)), axis=0)
        level = walk[-1]
        ts = first_us + (first + np.arange(n, dtype=np.int64)) * STEP_US
        rows = copy_buffer(np.tile(sid_row, n), np.repeat(ts, SERIES), np.round(walk, 1).ravel())
        copy_sql = "COPY measurements (signal_id, ts, value) FROM STDIN WITH (FORMAT binary)"
        with conn.cursor().copy(copy_sql) as copy:
            copy.write(b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8 + rows + b"\xff\xff")
        conn.commit()
    conn.execute(
        "UPDATE signals s SET last_ts = m.ts, last_value = m.value FROM ("
        " SELECT DISTINCT ON (signal_id) signal_id, ts, value FROM measurements"
        " WHERE ts >= to_timestamp(%s / 1e6) ORDER BY signal_id, ts DESC"
        ") AS m WHERE m.signal_id = s.id",
        (first_us + (instants - 1) * STEP_US - HOUR_US,),
    )
    conn.commit()


def storage(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Bytes of the point tables (all partitions, with indexes) and of segments, vacuumed."""
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.autocommit = False
    rows = scalar(
        conn,
        "SELECT coalesce(sum(pg_total_relation_size(oid)), 0) FROM pg_class "
        "WHERE relkind = 'r' AND relname LIKE 'measurements%%'",
    )
    return {
        "rows": int(rows),
        "segments": int(scalar(conn, "SELECT pg_total_relation_size('segments')")),
        "database": int(scalar(conn, "SELECT pg_database_size(current_database())")),
    }


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)

    def line(self) -> str:
        s = sorted(self.samples)
        p99 = s[min(len(s) - 1, int(len(s) * 0.99))]
        return f"{statistics.median(s):.1f} ms median, {p99:.1f} ms p99 ({len(s)})"


def read_cases(first_us: int, end_us: int) -> dict[str, tuple[str, dict[str, Any]]]:
    def window(bucket: str, start_us: int) -> dict[str, Any]:
        return {"bucket": bucket, "start": iso(max(first_us, start_us)), "end": iso(end_us)}

    return {
        "a request's floor: /healthz, no database": ("healthz", {}),
        "last 100 points": ("measurements", {"order": "desc", "limit": 100}),
        "1-hour range": ("measurements", {"start": iso(end_us - HOUR_US)}),
        "hourly rollup, 30 days (or all)": ("rollups", window("1h", end_us - 30 * DAY_US)),
        "daily rollup, whole span": ("rollups", window("1d", first_us)),
        "1-minute rollup, 1,000 buckets": ("rollups", window("1m", end_us - 1000 * MINUTE_US)),
        "1-minute rollup, 10,000 buckets": ("rollups", window("1m", end_us - 10_000 * MINUTE_US)),
        "15-minute rollup, 1,000 buckets": ("rollups", window("15m", end_us - 15_000 * MINUTE_US)),
        "5-minute rollup, 10,000 buckets": ("rollups", window("5m", end_us - 50_000 * MINUTE_US)),
        "hourly rollup, up to 10,000 buckets": ("rollups", window("1h", end_us - 10_000 * HOUR_US)),
        "asset rollup, 25 signals, hourly, 1 day": ("asset", window("1h", end_us - DAY_US)),
        "asset rollup, 25 signals, 15 min, 10 days": ("asset", window("15m", end_us - 10 * DAY_US)),
        "asset rollup, 25 signals, daily, whole span": ("asset", window("1d", first_us)),
        "latest of an asset": ("latest", {}),
    }


async def measure_reads(
    token: str,
    assets: list[int],
    signals: list[int],
    first_us: int,
    end_us: int,
    n: int,
    min_requests: int = 5,
) -> dict[str, str]:
    out = {}
    async with HttpClient("127.0.0.1", PORT, token) as client:
        for name, (kind, params) in read_cases(first_us, end_us).items():
            timing = Timing()
            budget = time.monotonic() + CASE_SECONDS
            for i in range(n):
                if i >= min_requests and time.monotonic() > budget:
                    break
                sid, asset = signals[i % len(signals)], assets[i % len(assets)]
                path = {
                    "measurements": f"/v1/signals/{sid}/measurements",
                    "rollups": f"/v1/signals/{sid}/rollups",
                    "asset": f"/v1/assets/{asset}/rollups",
                    "latest": f"/v1/assets/{asset}/latest",
                    "healthz": "/healthz",
                }[kind]
                started = time.perf_counter()
                await get_ok(client, path, params)
                timing.samples.append((time.perf_counter() - started) * 1000)
            out[name] = timing.line()
    return out


async def measure_ingest(token: str, signals: list[int], seconds: float) -> str:
    """4 connections posting 1,000-point batches of one signal each, stamped in the last minutes."""
    deadline = time.monotonic() + seconds
    base = datetime.now(UTC) - timedelta(minutes=4)
    written = 0

    async def connection(worker: int) -> None:
        nonlocal written
        async with HttpClient("127.0.0.1", PORT, token) as client:
            k = 0
            while time.monotonic() < deadline:
                sid = signals[(worker * 7 + k) % len(signals)]
                t0 = base + timedelta(microseconds=(worker * 1_000_003 + k * 1000) % 200_000_000)
                points = [
                    {
                        "signal_id": sid,
                        "ts": (t0 + timedelta(microseconds=j)).isoformat(),
                        "value": j * 0.5,
                    }
                    for j in range(1000)
                ]
                await post_ok(client, "/v1/measurements", {"points": points})
                written += 1000
                k += 1

    started = time.monotonic()
    await asyncio.gather(*(connection(w) for w in range(4)))
    return f"{written / (time.monotonic() - started):,.0f} points/s"


def assetwatch_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "assetwatch"), *args]


@contextmanager
def served(url: str) -> Iterator[None]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        # No statement timeout: the row store's long rollups would be 503s, not figures.
        "DB_STATEMENT_TIMEOUT_MS": "0",
    }
    process = subprocess.Popen(
        assetwatch_command("serve", "--port", str(PORT), "--no-worker"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                asyncio.run(_ready())
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not become ready")
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


async def _ready() -> None:
    async with HttpClient("127.0.0.1", PORT, "") as client:
        await get_ok(client, "/readyz", {})


@dataclass
class Run:
    points: int
    load_seconds: float = 0.0
    compact_seconds: float = 0.0
    rewrite_seconds: float = 0.0
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
            conn.execute(
                "UPDATE storage_state SET compacted_through = "
                "date_trunc('hour', to_timestamp(%s / 1e6), 'UTC')",
                (first_us,),
            )
            conn.commit()
        token = subprocess.run(
            assetwatch_command("keys", "create", "--org", "scale", "--role", "admin"),
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if rows_from is None:
            with served(url):
                run.reads_as_rows = asyncio.run(
                    measure_reads(token, assets, signals, first_us, end_us, reads, min_requests)
                )
        else:
            run.reads_as_rows = rows_column(rows_from)
        run.compact_seconds = asyncio.run(_compact(conninfo, url))
        with psycopg.connect(conninfo, autocommit=True) as conn:
            started = time.monotonic()
            conn.execute("VACUUM FULL measurements_default")
            run.rewrite_seconds = time.monotonic() - started
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


async def _compact(conninfo: str, url: str) -> float:
    started = time.monotonic()
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await run_cycle(conn, Settings(database_url=url))
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
        f"table (`VACUUM FULL measurements_default`) took {run.rewrite_seconds:.1f} s.",
        "",
        "| | every point a row | segments (after the worker) |",
        "|---|---|---|",
        f"| bytes a point: point rows + segments, with indexes | {per_point(run.as_rows, 'rows')} "
        f"| {per_point(run.as_segments, 'rows', 'segments')} (rows "
        f"{run.as_segments['rows'] / 1e6:.1f} MB, segments {run.as_segments['segments'] / 1e6:.1f}"
        " MB) |",
        f"| bytes a point: database growth | "
        f"{(run.as_rows['database'] - run.empty['database']) / n:.2f} | "
        f"{(run.as_segments['database'] - run.empty['database']) / n:.2f} |",
    ]
    for name, figure in run.reads_as_segments.items():
        before = run.reads_as_rows.get(name, "(same path)")
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
