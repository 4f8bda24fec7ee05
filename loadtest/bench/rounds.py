"""How `make bench` measures: for each kind of request, the maximum throughput of each server
in interleaved rounds (closed loop), then its latency at 70 % of that maximum (open loop), and
the figures each server is judged on (`results`)."""

import asyncio
import functools
import statistics
import sys
import time
from collections.abc import Callable

from loadtest.bench import load
from loadtest.bench.results import KINDS, KindFigures, Results, Round, ServerFigures
from loadtest.bench.servers import Target, cpu_seconds

POINTS = 1_000  # a batch's
INGEST_CONNECTIONS, READ_CONNECTIONS = 4, 16
LOAD_FRACTION = 0.7
WARM_UP_SECONDS = 2

WRK_INGEST = """
local path, n, signals, base, counter = "", 1000, {}, 0, 0
function init(args)
  path = args[1]
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  wrk.headers["Content-Type"] = "application/json"
  for s in string.gmatch(args[3], "%d+") do signals[#signals + 1] = s end
  base = tonumber(args[4])
end
function request()
  local sig = signals[(counter % #signals) + 1]
  local t0 = base + math.floor(counter / #signals) * n
  counter = counter + 1
  local parts = {}
  for i = 0, n - 1 do
    parts[i + 1] = '{"signal_id":' .. sig .. ',"ts":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ", t0 + i)
      .. '","value":' .. (20 + i % 50) .. '.5}'
  end
  return wrk.format("POST", path, nil, '{"points":[' .. table.concat(parts, ",") .. ']}')
end
"""

WRK_READ = """
local template, signals, counter = "", {}, 0
function init(args)
  template = args[1]
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  for s in string.gmatch(args[3], "%d+") do signals[#signals + 1] = s end
end
function request()
  local sig = signals[(counter % #signals) + 1]
  counter = counter + 1
  return wrk.format("GET", (string.gsub(template, "{id}", sig)))
end
"""

# One measured run of a server: (target, base=first second of its points) → its result.
Measured = Callable[..., load.Result]


def ingest_requests(target: Target, base: int) -> load.RequestFactory:
    """1,000-point batches, one signal at a time, each batch's seconds after the last's."""

    def make(n: int) -> tuple[str, str, bytes]:
        signal = target.signals[n % len(target.signals)]
        t0 = base + (n // len(target.signals)) * POINTS
        points = ",".join(
            f'{{"signal_id":{signal},"ts":"'
            f'{time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + i))}",'
            f'"value":{20 + i % 50}.5}}'
            for i in range(POINTS)
        )
        return "POST", target.ingest_path, f'{{"points":[{points}]}}'.encode()

    return make


def read_requests(target: Target) -> load.RequestFactory:
    """The last 100 points of one signal after another."""

    def make(n: int) -> tuple[str, str, bytes]:
        signal = target.signals[n % len(target.signals)]
        return "GET", target.read_template.replace("{id}", str(signal)), b""

    return make


def _requests(target: Target, kind: str, base: int) -> load.RequestFactory:
    return ingest_requests(target, base) if kind == "ingest" else read_requests(target)


def _connections(kind: str) -> int:
    return INGEST_CONNECTIONS if kind == "ingest" else READ_CONNECTIONS


def closed(target: Target, kind: str, seconds: int, base: int) -> load.Result:
    """The maximum: wrk when installed, else the asyncio client."""
    ids = ",".join(map(str, target.signals))
    conns = _connections(kind)
    if load.wrk_available():
        if kind == "ingest":
            script, args = WRK_INGEST, [target.ingest_path, target.key, ids, str(base)]
        else:
            script, args = WRK_READ, [target.read_template, target.key, ids]
        return load.wrk_closed_loop(
            target.base_url, script, args, connections=conns, seconds=seconds
        )
    headers = {"Authorization": f"Bearer {target.key}"}
    return asyncio.run(
        load.closed_loop(
            "127.0.0.1",
            target.port,
            headers,
            _requests(target, kind, base),
            connections=conns,
            seconds=seconds,
        )
    )


def opened(target: Target, kind: str, rate: float, seconds: int, base: int) -> load.Result:
    """At most as many connections as the closed loop that measured the maximum: the server
    is then measured at 70 % of what it did under the same concurrency. (With a connection
    per waiting request, a queue that forms in a slow second opens up to 256 of them, each
    one costing the server CPU, and 70 % tipped into overload: 0.55 ms of CPU a read became
    0.95 ms, on both servers.) A request that finds them all busy waits in the generator, and
    that wait counts in its latency."""
    headers = {"Authorization": f"Bearer {target.key}"}
    return asyncio.run(
        load.open_loop(
            "127.0.0.1",
            target.port,
            headers,
            _requests(target, kind, base),
            rate=rate,
            seconds=seconds,
            max_connections=_connections(kind),
        )
    )


def _paced(
    target: Target, *, base: int, kind: str, seconds: int, rates: dict[str, float]
) -> load.Result:
    return opened(target, kind, rates[target.name], seconds, base)


def interleaved(targets: list[Target], bases: list[int], run: Measured) -> dict[str, list[Round]]:
    """`run(target, base=...)` once a round (one base each) on each target, the order reversed
    every other round (floor then assetwatch, then assetwatch then floor, ...): a machine that
    slows down or speeds up during the run weighs on both alike. Each result comes with the
    server's CPU a request."""
    rounds: dict[str, list[Round]] = {t.name: [] for t in targets}
    for number, base in enumerate(bases):
        for target in targets if number % 2 == 0 else targets[::-1]:
            cpu = cpu_seconds(target.pid)
            result = run(target, base=base)
            cpu_ms = (cpu_seconds(target.pid) - cpu) * 1000 / max(result.requests, 1)
            rounds[target.name].append(Round(result, cpu_ms))
            print(
                f"   {target.name:10} round {number + 1}: {result.rps:8.1f} req/s,"
                f" p50 {result.p50_ms:6.1f} p99 {result.p99_ms:6.1f} ms,"
                f" server CPU {cpu_ms:.3f} ms a request ({result.errors} errors"
                f"{': ' + result.error_kinds if result.errors else ''}; {result.tool})",
                file=sys.stderr,
                flush=True,
            )
    return rounds


def median_round(rounds: list[Round], key: str) -> load.Result:
    """The round whose `key` is the median (the lower of the middle two for an even count)."""
    ordered = sorted((r.result for r in rounds), key=lambda result: float(getattr(result, key)))
    return ordered[(len(ordered) - 1) // 2]


def _figures(maxima: list[Round], paced: list[Round], rate: float) -> ServerFigures:
    return ServerFigures(
        maximum=median_round(maxima, "rps"),
        cpu_ms=statistics.median(r.cpu_ms for r in maxima),
        at70=median_round(paced, "p99_ms"),
        target_rps=rate,
        worst_p99_ms=max(r.result.p99_ms for r in paced),
        rounds=maxima,
        paced_rounds=paced,
    )


def measure(targets: list[Target], seconds: int, rounds: int) -> Results:
    """Per kind, in interleaved rounds: the maximum (closed loop), then p99 at 70 % of each
    server's median maximum (open loop). The ratio is the median of the rounds' ratios; the
    latency target is judged on the median round's p99, the worst round's shown beside it."""
    # Each phase writes points of its own span of time, ending in the past: new points, as a
    # device sends them, never updates of another phase's (one second of ingest covers at most
    # ~0.35 days: 300 batches of 1,000 one-second points over 10 signals).
    span = (seconds // 2 + 1) * 86_400
    phases = 2 * (1 + 2 * rounds)  # per kind: a warm-up, the closed and the open rounds
    bases = iter(range(int(time.time()) - (phases + 1) * span, int(time.time()), span))
    results: Results = {}
    for kind in KINDS:
        warm_up = next(bases)
        for target in targets:
            if kind == "read":
                target.analyze()
            closed(target, kind, WARM_UP_SECONDS, warm_up)  # pools, caches, plans
        print(f"-- {kind}: maximum (closed loop)", file=sys.stderr)
        maxima = interleaved(
            targets,
            [next(bases) for _ in range(rounds)],
            functools.partial(closed, kind=kind, seconds=seconds),
        )
        rates = {
            name: max(1.0, median_round(runs, "rps").rps * LOAD_FRACTION)
            for name, runs in maxima.items()
        }
        print(f"-- {kind}: {LOAD_FRACTION:.0%} of the median maximum (open loop)", file=sys.stderr)
        paced = interleaved(
            targets,
            [next(bases) for _ in range(rounds)],
            functools.partial(_paced, kind=kind, seconds=seconds, rates=rates),
        )
        ratios = [
            aw.result.rps / floor.result.rps if floor.result.rps else 0.0
            for floor, aw in zip(maxima["floor"], maxima["assetwatch"], strict=True)
        ]
        results[kind] = KindFigures(
            ratio=statistics.median(ratios),
            ratios=ratios,
            servers={
                t.name: _figures(maxima[t.name], paced[t.name], rates[t.name]) for t in targets
            },
        )
    return results
