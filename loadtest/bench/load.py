"""Load generators for `make bench`, all on 127.0.0.1 and bounded in time.

- `closed_loop`: N connections, each sends its next request as soon as the last one answered
  (the maximum throughput); `wrk_closed_loop` does the same with wrk when it is installed.
- `open_loop`: requests start on a fixed schedule (`rate` a second) whatever the answers do, and
  latency counts from the scheduled start, so a slow server cannot hide its queue (no
  coordinated omission).

A minimal HTTP/1.1 keep-alive client on asyncio streams: httpx would spend more CPU than the
server it measures on a 2-core machine.
"""

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# request number -> (method, path, body)
RequestFactory = Callable[[int], tuple[str, str, bytes]]


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    tool: str
    error_kinds: str = ""  # e.g. "503: 3, ConnectionResetError: 1"

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q / 100 * len(sorted_values)))]


def _result(latencies: list[float], kinds: Counter[str], seconds: float, tool: str) -> Result:
    latencies.sort()
    return Result(
        len(latencies),
        sum(kinds.values()),
        seconds,
        percentile(latencies, 50) * 1000,
        percentile(latencies, 99) * 1000,
        tool,
        ", ".join(f"{kind}: {n}" for kind, n in kinds.most_common()),
    )


KEEP_ALIVE_SECONDS = 4.0


class Connection:
    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = time.monotonic()

    async def request(self, method: str, path: str, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.head}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        self.last_used = time.monotonic()
        return status

    @property
    def stale(self) -> bool:
        """Idle long enough that the server may be closing it (uvicorn's keep-alive is 5 s)."""
        return time.monotonic() - self.last_used > KEEP_ALIVE_SECONDS

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def closed_loop(
    host: str,
    port: int,
    headers: dict[str, str],
    make: RequestFactory,
    *,
    connections: int,
    seconds: float,
) -> Result:
    latencies: list[float] = []
    kinds: Counter[str] = Counter()
    counter = iter(range(10**12))
    start = time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        conn = Connection(host, port, headers)
        try:
            while time.perf_counter() < deadline:
                method, path, body = make(next(counter))
                t0 = time.perf_counter()
                status = await conn.request(method, path, body)
                latencies.append(time.perf_counter() - t0)
                if status >= 400:
                    kinds[str(status)] += 1
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return _result(latencies, kinds, time.perf_counter() - start, "asyncio client")


async def open_loop(
    host: str,
    port: int,
    headers: dict[str, str],
    make: RequestFactory,
    *,
    rate: float,
    seconds: float,
    max_connections: int = 256,
) -> Result:
    """`rate` requests a second for `seconds`; each on an idle connection (opened as needed).

    The requests are built before the clock starts: building a 1,000-point body takes the
    generator about a millisecond, which would otherwise count in the latency it measures and
    take CPU from the servers sharing the machine.
    """
    latencies: list[float] = []
    kinds: Counter[str] = Counter()
    idle: list[Connection] = []
    opened = 0
    slots = asyncio.Semaphore(max_connections)
    requests = [make(n) for n in range(int(rate * seconds))]
    start = time.perf_counter()

    async def one(n: int, scheduled: float) -> None:
        nonlocal opened
        method, path, body = requests[n]
        async with slots:
            while idle and idle[-1].stale:  # a request on it could race the server's close
                idle.pop().close()
            if idle:
                conn = idle.pop()
            else:
                conn, opened = Connection(host, port, headers), opened + 1
            try:
                status = await conn.request(method, path, body)
            except (OSError, asyncio.IncompleteReadError) as error:
                conn.close()
                kinds[type(error).__name__] += 1
                return
            latencies.append(time.perf_counter() - scheduled)  # from the scheduled start
            if status >= 400:
                kinds[str(status)] += 1
            idle.append(conn)

    running: set[asyncio.Task[None]] = set()  # finished tasks are dropped, not kept to the end
    for n in range(len(requests)):
        scheduled = start + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(n, scheduled))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    elapsed = time.perf_counter() - start
    for conn in idle:
        conn.close()
    return _result(latencies, kinds, elapsed, f"asyncio open loop, {opened} connections")


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


_WRK_REPORT = """
function done(summary, latency, requests)
  io.stderr:write(string.format(
    '{"requests": %d, "us": %d, "status_errors": %d, "socket_errors": %d, "p50": %d, "p99": %d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_closed_loop(
    base_url: str, script: str, args: list[str], *, connections: int, seconds: int
) -> Result:
    """wrk with one thread (the server needs the other core) and a Lua request script."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + _WRK_REPORT)
    try:
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
        proc = subprocess.run(
            [*command, "-s", lua.name, base_url, "--", *args],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        )
    finally:
        Path(lua.name).unlink()
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return Result(
        report["requests"],
        report["status_errors"] + report["socket_errors"],
        report["us"] / 1e6,
        report["p50"] / 1000,
        report["p99"] / 1000,
        "wrk",
        f"non-2xx/3xx: {report['status_errors']}, socket: {report['socket_errors']}"
        if report["status_errors"] + report["socket_errors"]
        else "",
    )
