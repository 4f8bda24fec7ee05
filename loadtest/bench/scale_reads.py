"""`make bench-scale`'s measurements over HTTP: one `assetwatch serve` process on the data, each
read case timed on one keep-alive connection, and ingest on four."""

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from loadtest.bench.http import HttpClient, get_ok, post_ok
from loadtest.bench.scale_data import DAY_US, HOUR_US, MINUTE_US, iso

PORT = 8765
CASE_SECONDS = 20.0  # a read case stops after this long, once it has --min-requests


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
        # Buckets that are not whole five minutes: no summary answers them, segments decode.
        "7-minute rollup, 1,000 buckets": ("rollups", window("7m", end_us - 7_000 * MINUTE_US)),
        # 9,999 buckets of 7 minutes: the range's end is not on the 7-minute grid, so it touches one
        # bucket more than it spans.
        "7-minute rollup, 10,000 buckets (or all)": (
            "rollups",
            window("7m", end_us - 9_999 * 7 * MINUTE_US),
        ),
        "hourly rollup, up to 10,000 buckets": ("rollups", window("1h", end_us - 10_000 * HOUR_US)),
        "asset rollup, 25 signals, hourly, 1 day": ("asset", window("1h", end_us - DAY_US)),
        "asset rollup, 25 signals, hourly, 1,000 buckets": (
            "asset",
            window("1h", end_us - 40 * HOUR_US),
        ),
        "asset rollup, 25 signals, 15 min, 10,000 buckets": (
            "asset",
            window("15m", end_us - 400 * 15 * MINUTE_US),
        ),
        "asset rollup, 25 signals, 15 min, 10 days": ("asset", window("15m", end_us - 10 * DAY_US)),
        "asset rollup, 25 signals, 7 min, 10,000 buckets": (
            "asset",
            window("7m", end_us - 400 * 7 * MINUTE_US),
        ),
        "asset rollup, 25 signals, daily, whole span": ("asset", window("1d", first_us)),
        "latest of an asset": ("latest", {}),
    }


def case_path(kind: str, signal: int, asset: int) -> str:
    """The path a read case of `kind` requests, for one signal or asset."""
    return {
        "measurements": f"/v1/signals/{signal}/measurements",
        "rollups": f"/v1/signals/{signal}/rollups",
        "asset": f"/v1/assets/{asset}/rollups",
        "latest": f"/v1/assets/{asset}/latest",
        "healthz": "/healthz",
    }[kind]


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
                path = case_path(kind, signals[i % len(signals)], assets[i % len(assets)])
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
