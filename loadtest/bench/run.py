"""`make bench`: assetwatch against the raw floor, on one embedded PostgreSQL, in one run.

    python loadtest/bench/run.py [--seconds 10] [--rounds 5] [--workers 1]
                                 [--out docs/benchmarks.md] [--pg-setting NAME=VALUE ...]

Starts one embedded PostgreSQL with two databases migrated to head (`floor`, `assetwatch`),
the floor app (loadtest/bench/floor_app.py: the service's SQL, nothing else) and
`assetwatch serve` (auth, tenancy, validation, metrics), each on --workers uvicorn workers
(1 by default) on 127.0.0.1.
For ingest (1,000-point batches) and the last-100-points read: a short warm-up, the maximum
throughput (closed loop: wrk when installed, else an asyncio client) in --rounds rounds with
the servers interleaved, and each server's CPU a request; then, in as many interleaved rounds,
p99 at 70 % of each server's median maximum (open loop at a fixed rate). Writes the figures to
--out (keeping the hand-written part after the NOTES marker) and loadtest/reports/bench.json.
"""

import argparse
import asyncio
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from loadtest.bench import load  # noqa: E402
from tests.live_server import free_port  # noqa: E402

from assetwatch.db import migrations  # noqa: E402
from assetwatch.embedded_db import SERVER_SETTINGS, embedded_postgres  # noqa: E402

SIGNALS = 10
POINTS = 1_000
INGEST_CONNECTIONS, READ_CONNECTIONS = 4, 16
LOAD_FRACTION = 0.7
P99_TARGET_MS, RATIO_TARGET = 50.0, 0.8
NOTES = "<!-- NOTES: everything below this line is kept when `make bench` rewrites the file -->"

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


class Target:
    def __init__(
        self,
        name: str,
        port: int,
        key: str,
        signals: list[int],
        ingest: str,
        read: str,
        database_url: str,
        pid: int,
    ):
        self.name, self.port, self.key, self.signals = name, port, key, signals
        self.ingest_path, self.read_template = ingest, read
        self.database_url, self.pid = database_url, pid

    def analyze(self) -> None:
        """Fresh planner statistics, as autovacuum keeps them in steady state.

        Right after the ingest phases the statistics still say the table is empty, and the
        planner reads all 15,000 points of a signal and sorts them instead of walking the
        primary key backwards: 5 ms a read instead of 0.1 ms, on the floor and assetwatch alike.
        """
        with psycopg.connect(_plain(self.database_url), autocommit=True) as conn:
            conn.execute("ANALYZE measurements")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ingest_factory(self, base: int) -> load.RequestFactory:
        def make(n: int) -> tuple[str, str, bytes]:
            signal = self.signals[n % len(self.signals)]
            t0 = base + (n // len(self.signals)) * POINTS
            points = ",".join(
                f'{{"signal_id":{signal},"ts":"'
                f'{time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + i))}",'
                f'"value":{20 + i % 50}.5}}'
                for i in range(POINTS)
            )
            return "POST", self.ingest_path, f'{{"points":[{points}]}}'.encode()

        return make

    def read_factory(self) -> load.RequestFactory:
        def make(n: int) -> tuple[str, str, bytes]:
            signal = self.signals[n % len(self.signals)]
            return "GET", self.read_template.replace("{id}", str(signal)), b""

        return make


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def prepare_database(url: str, env: dict[str, str]) -> tuple[str, list[int], int]:
    """Migrate; an organisation and admin key through the CLI; one asset with SIGNALS signals.

    Returns the key, the signal ids and the organisation's id."""
    migrations.upgrade(url)
    cli_env = {**env, "DATABASE_URL": url}
    cli = [str(Path(sys.executable).with_name("assetwatch"))]
    subprocess.run(
        [*cli, "orgs", "create", "--slug", "bench", "--name", "Bench"],
        env=cli_env,
        check=True,
        capture_output=True,
    )
    key = subprocess.run(
        [*cli, "keys", "create", "--org", "bench", "--role", "admin", "--name", "bench"],
        env=cli_env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        asset, organization = conn.execute(
            "INSERT INTO assets (organization_id, name, kind) SELECT id, 'bench', 'bench' "
            "FROM organizations WHERE slug = 'bench' RETURNING id, organization_id"
        ).fetchone() or (None, 0)
        signals = [
            row[0]
            for n in range(SIGNALS)
            for row in conn.execute(
                "INSERT INTO signals (asset_id, name) VALUES (%s, %s) RETURNING id",
                (asset, f"s{n}"),
            )
        ]
        version = conn.execute("SHOW server_version").fetchone()
    env["PG_VERSION"] = str(version[0] if version else "?")
    return key, signals, organization


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not ready in 60 s:\n{log.read_text()[-3000:]}")


def _connections(kind: str) -> int:
    return INGEST_CONNECTIONS if kind == "ingest" else READ_CONNECTIONS


def closed(target: Target, kind: str, seconds: int, base: int) -> load.Result:
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
    make = target.ingest_factory(base) if kind == "ingest" else target.read_factory()
    headers = {"Authorization": f"Bearer {target.key}"}
    return asyncio.run(
        load.closed_loop(
            "127.0.0.1", target.port, headers, make, connections=conns, seconds=seconds
        )
    )


def opened(target: Target, kind: str, rate: float, seconds: int, base: int) -> load.Result:
    """At most as many connections as the closed loop that measured the maximum: the server
    is then measured at 70 % of what it did under the same concurrency. (With a connection
    per waiting request, a queue that forms in a slow second opens up to 256 of them, each
    one costing the server CPU, and 70 % tipped into overload: 0.55 ms of CPU a read became
    0.95 ms, on both servers.) A request that finds them all busy waits in the generator, and
    that wait counts in its latency."""
    make = target.ingest_factory(base) if kind == "ingest" else target.read_factory()
    headers = {"Authorization": f"Bearer {target.key}"}
    return asyncio.run(
        load.open_loop(
            "127.0.0.1",
            target.port,
            headers,
            make,
            rate=rate,
            seconds=seconds,
            max_connections=_connections(kind),
        )
    )


def _stat(pid: str) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants (the workers of `--workers N`)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = _stat(entry.name)
            except OSError:  # it ended between the listing and the read
                continue
            parents[int(entry.name)] = int(fields[1])
            ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    return sum(ticks.get(member, 0) for member in tree) / os.sysconf("SC_CLK_TCK")


def _paced(
    target: Target, *, base: int, kind: str, seconds: int, rates: dict[str, float]
) -> load.Result:
    return opened(target, kind, rates[target.name], seconds, base)


def _interleaved(
    targets: list[Target], bases: list[int], run: Callable[..., load.Result]
) -> dict[str, list[tuple[load.Result, float]]]:
    """`run(target, base=...)` once a round (one base each) on each target, the order reversed
    every other round (floor then assetwatch, then assetwatch then floor, ...): a machine that
    slows down or speeds up during the run weighs on both alike. Each result comes with the
    server's CPU a request."""
    results: dict[str, list[tuple[load.Result, float]]] = {t.name: [] for t in targets}
    for round_, base in enumerate(bases):
        for target in targets if round_ % 2 == 0 else targets[::-1]:
            cpu = cpu_seconds(target.pid)
            result = run(target, base=base)
            cpu_ms = (cpu_seconds(target.pid) - cpu) * 1000 / max(result.requests, 1)
            results[target.name].append((result, cpu_ms))
            print(
                f"   {target.name:10} round {round_ + 1}: {result.rps:8.1f} req/s,"
                f" p50 {result.p50_ms:6.1f} p99 {result.p99_ms:6.1f} ms,"
                f" server CPU {cpu_ms:.3f} ms a request ({result.errors} errors"
                f"{': ' + result.error_kinds if result.errors else ''}; {result.tool})",
                file=sys.stderr,
                flush=True,
            )
    return results


def _median_run(runs: list[tuple[load.Result, float]], key: str) -> load.Result:
    """The round whose `key` is the median (the lower of the middle two for an even count)."""
    ordered = sorted((run for run, _ in runs), key=lambda run: float(getattr(run, key)))
    return ordered[(len(ordered) - 1) // 2]


def _rounds(runs: list[tuple[load.Result, float]]) -> list[dict[str, Any]]:
    return [asdict(run) | {"rps": run.rps, "cpu_ms": cpu_ms} for run, cpu_ms in runs]


def measure(
    targets: list[Target], seconds: int, rounds: int
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per kind, in interleaved rounds: the maximum (closed loop), then p99 at 70 % of each
    server's median maximum (open loop). The ratio is the median of the rounds' ratios; the
    latency target is judged on the median round's p99, the worst round's shown beside it."""
    # Each phase writes points of its own span of time, ending in the past: new points, as a
    # device sends them, never updates of another phase's (one second of ingest covers at most
    # ~0.35 days: 300 batches of 1,000 one-second points over 10 signals).
    span = (seconds // 2 + 1) * 86_400
    phases = 2 * (1 + 2 * rounds)  # per kind: a warm-up, the closed and the open rounds
    bases = iter(range(int(time.time()) - (phases + 1) * span, int(time.time()), span))
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for kind in ("ingest", "read"):
        warm_up = next(bases)
        for target in targets:
            if kind == "read":
                target.analyze()
            closed(target, kind, 2, warm_up)  # pools, caches, plans
        print(f"-- {kind}: maximum (closed loop)", file=sys.stderr)
        maxima = _interleaved(
            targets,
            [next(bases) for _ in range(rounds)],
            functools.partial(closed, kind=kind, seconds=seconds),
        )
        rates = {
            name: max(1.0, _median_run(runs, "rps").rps * LOAD_FRACTION)
            for name, runs in maxima.items()
        }
        print(f"-- {kind}: {LOAD_FRACTION:.0%} of the median maximum (open loop)", file=sys.stderr)
        paced = _interleaved(
            targets,
            [next(bases) for _ in range(rounds)],
            functools.partial(_paced, kind=kind, seconds=seconds, rates=rates),
        )
        ratios = [
            aw.rps / floor.rps if floor.rps else 0.0
            for (floor, _), (aw, _) in zip(maxima["floor"], maxima["assetwatch"], strict=True)
        ]
        results[kind] = {"ratio": {"median": statistics.median(ratios), "rounds": ratios}}
        for target in targets:
            best = _median_run(maxima[target.name], "rps")
            at70 = _median_run(paced[target.name], "p99_ms")
            results[kind][target.name] = {
                "max": asdict(best) | {"rps": best.rps},
                "cpu_ms": statistics.median(cpu_ms for _, cpu_ms in maxima[target.name]),
                "at70": asdict(at70) | {"rps": at70.rps, "target_rps": rates[target.name]},
                "worst_p99_ms": max(run.p99_ms for run, _ in paced[target.name]),
                "rounds": _rounds(maxima[target.name]),
                "paced_rounds": _rounds(paced[target.name]),
            }
    return results


def _errors(figures: dict[str, Any]) -> str:
    phases = [("max", n, run) for n, run in enumerate(figures["rounds"], 1)]
    phases += [("70 %", n, run) for n, run in enumerate(figures["paced_rounds"], 1)]
    parts = [
        f"{phase} round {n}: {run['errors']}"
        + (f" ({run['error_kinds']})" if run["error_kinds"] else "")
        for phase, n, run in phases
        if run["errors"]
    ]
    return "; ".join(parts) or "0"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def render(
    results: dict[str, dict[str, dict[str, Any]]], env: dict[str, str], seconds: int, rounds: int,
    old: str,
) -> str:  # fmt: skip
    rows, verdicts = [], []
    for kind, unit, per in (("ingest", "points/s", POINTS), ("read", "req/s", 1)):
        label = "POST 1,000-point batch" if kind == "ingest" else "GET last 100 points"
        for name in ("floor", "assetwatch"):
            figures = results[kind][name]
            best, at70 = figures["max"], figures["at70"]
            rates = [run["rps"] * per for run in figures["rounds"]]
            rows.append(
                f"| {label} | {name} | {best['rps'] * per:,.0f} {unit} "
                f"({min(rates):,.0f} to {max(rates):,.0f}) "
                f"| {best['p50_ms']:.1f} / {best['p99_ms']:.1f} | {figures['cpu_ms']:.2f} ms "
                f"| {at70['rps']:,.1f} req/s | {at70['p50_ms']:.1f} / {at70['p99_ms']:.1f} "
                f"({figures['worst_p99_ms']:.1f}) | {_errors(figures)} |"
            )
        ratio = results[kind]["ratio"]["median"]
        per_round = ", ".join(f"{r:.0%}" for r in results[kind]["ratio"]["rounds"])
        cpu = results[kind]["floor"]["cpu_ms"] / results[kind]["assetwatch"]["cpu_ms"]
        rows.append(
            f"| {label} | **ratio assetwatch/floor** | **{ratio:.0%}** (rounds: {per_round}) "
            f"| | {cpu:.0%} (floor's / assetwatch's) | | | |"
        )
        p99 = results[kind]["assetwatch"]["at70"]["p99_ms"]
        met = "met" if ratio >= RATIO_TARGET else "**missed**"
        verdicts.append(
            f"- {label}: throughput {ratio:.0%} of the floor (target ≥ {RATIO_TARGET:.0%}): {met}"
        )
        met = "met" if p99 < P99_TARGET_MS else "**missed**"
        verdicts.append(
            f"- {label}: p99 {p99:.1f} ms at 70 % of assetwatch's max, median round "
            f"(target < {P99_TARGET_MS:.0f} ms): {met}"
        )
    tool = str(results["ingest"]["floor"]["max"]["tool"])
    notes = old.split(NOTES, 1)[1] if NOTES in old else "\n"
    return (
        "\n".join(
            [
                "# Benchmarks: assetwatch against the raw floor",
                "",
                "Generated by `make bench` (`loadtest/bench/run.py`). A shared machine's speed",
                "drifts by ±30 % within minutes: each maximum is measured in several rounds, the",
                "servers interleaved, and the ratio is the median of the rounds' ratios. Compare",
                "the two servers within one run, not figures across runs.",
                "",
                f"- command: `make bench` (BENCH_SECONDS={seconds}, BENCH_ROUNDS={rounds}"
                f"{', BENCH_ARGS=' + repr(env['BENCH_ARGS']) if env['BENCH_ARGS'] else ''})",
                f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                f"- machine: {os.cpu_count()} CPUs (`nproc` {env['NPROC']}), {_cpu_model()}, "
                f"{platform.system()} {platform.release()}; load average before the run "
                f"{env['LOADAVG']} (1/5/15 min: other work on the machine competes for the cores)",
                f"- Python {platform.python_version()}, PostgreSQL {env['PG_VERSION']} (embedded, "
                "one server, databases `floor` and `assetwatch`; settings changed from the "
                f"defaults: {env['PG_SETTINGS']})",
                f"- load: closed loop with {tool} ({INGEST_CONNECTIONS} connections for ingest, "
                f"{READ_CONNECTIONS} for reads) for the maximum, {rounds} rounds of {seconds} s "
                "per server after a 2 s warm-up (the table gives the median round and the range; "
                "server CPU is the server process's own, workers included, per request, median "
                "of the rounds); then an asyncio open-loop client at "
                f"{LOAD_FRACTION:.0%} of each server's median maximum, {rounds} interleaved rounds "
                f"of {seconds} s, on at most as many connections as the closed loop (latency from "
                "the scheduled start, a wait for a free connection included; the table gives the "
                "round with the median p99, and the worst round's p99). Generator, servers and "
                "PostgreSQL share the machine.",
                "- floor: `loadtest/bench/floor_app.py` — FastAPI + psycopg pool (autocommit) "
                "running the service's own statements (`INGEST`, `READINGS`, tenancy filter "
                "included), no auth, validation model, metrics or logging, on "
                f"`uvicorn --workers {env['WORKERS']}`. assetwatch: "
                f"`assetwatch serve --workers {env['WORKERS']}` (LOG_LEVEL=WARNING), API key "
                "auth, tenancy checks, "
                "full validation, Prometheus metrics. Planner statistics are refreshed (ANALYZE) "
                "before the read phases.",
                "",
                "| endpoint | server | max throughput (range) | p50 / p99 at max (ms) "
                "| server CPU a request | open-loop rate | p50 / p99 at 70 % (worst p99) (ms) "
                "| errors |",
                "|---|---|---|---|---|---|---|---|",
                *rows,
                "",
                "## Targets (2 cores)",
                "",
                *verdicts,
                "",
                NOTES,
            ]
        )
        + notes
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="per measured phase")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        choices=range(1, 16),
        metavar="1..15",
        help="closed-loop maxima per server, interleaved",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes of each server (uvicorn's)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--pg-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting for this run (repeatable), e.g. synchronous_commit=off",
    )
    args = parser.parse_args()
    pg_settings = dict(SERVER_SETTINGS, **dict(s.split("=", 1) for s in args.pg_setting))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["BENCH_ARGS"] = " ".join(f"--pg-setting {s}" for s in args.pg_setting)
    env["PG_SETTINGS"] = ", ".join(f"`{k}={v}`" for k, v in pg_settings.items())
    env |= {"LOG_LEVEL": "WARNING", "LOG_FORMAT": "json"}
    env["WORKERS"] = str(args.workers)
    env["LOADAVG"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    env["NPROC"] = str(len(os.sched_getaffinity(0)))  # what `nproc` prints
    procs: list[subprocess.Popen[bytes]] = []
    with (
        tempfile.TemporaryDirectory(prefix="assetwatch-bench-") as tmp,
        embedded_postgres(
            Path(tmp), cleanup="delete", database="floor", settings=pg_settings
        ) as floor_url,
    ):
        with psycopg.connect(_plain(floor_url), autocommit=True) as conn:
            conn.execute("CREATE DATABASE assetwatch")
        aw_url = floor_url.replace("/floor", "/assetwatch", 1)
        assert aw_url != floor_url, floor_url
        floor_key, floor_signals, floor_org = prepare_database(floor_url, env)
        aw_key, aw_signals, _ = prepare_database(aw_url, env)
        try:
            floor_port, aw_port = free_port(), free_port()
            floor_log, aw_log = Path(tmp) / "floor.log", Path(tmp) / "assetwatch.log"
            with floor_log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "uvicorn",
                            "loadtest.bench.floor_app:app",
                            "--host",
                            "127.0.0.1",
                            "--port",
                            str(floor_port),
                            "--workers",
                            env["WORKERS"],
                            "--no-access-log",
                            "--log-level",
                            "warning",
                        ],
                        cwd=ROOT,
                        env={
                            **env,
                            "FLOOR_DATABASE_URL": floor_url,
                            "FLOOR_ORGANIZATION_ID": str(floor_org),
                            "PYTHONPATH": str(ROOT),
                        },
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            with aw_log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [
                            str(Path(sys.executable).with_name("assetwatch")),
                            "serve",
                            "--host",
                            "127.0.0.1",
                            "--port",
                            str(aw_port),
                            "--workers",
                            env["WORKERS"],
                        ],
                        env={**env, "DATABASE_URL": aw_url},
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            floor_probe = f"http://127.0.0.1:{floor_port}/floor/signals/0/last100"
            wait_ready(floor_probe, procs[0], floor_log)
            wait_ready(f"http://127.0.0.1:{aw_port}/readyz", procs[1], aw_log)
            targets = [
                Target(
                    "floor",
                    floor_port,
                    floor_key,
                    floor_signals,
                    "/floor/measurements",
                    "/floor/signals/{id}/last100",
                    floor_url,
                    procs[0].pid,
                ),
                Target(
                    "assetwatch",
                    aw_port,
                    aw_key,
                    aw_signals,
                    "/v1/measurements",
                    "/v1/signals/{id}/measurements?order=desc&limit=100",
                    aw_url,
                    procs[1].pid,
                ),
            ]
            results = measure(targets, args.seconds, args.rounds)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    reports = ROOT / "loadtest" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "bench.json").write_text(json.dumps(results, indent=2))
    old = args.out.read_text() if args.out.exists() else ""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(results, env, args.seconds, args.rounds, old))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
