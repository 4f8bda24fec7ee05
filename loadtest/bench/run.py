"""`make bench`: assetwatch against the raw floor, on one embedded PostgreSQL, in one run.

    python loadtest/bench/run.py [--seconds 10] [--workers 1] [--out docs/benchmarks.md]
                                 [--pg-setting NAME=VALUE ...]

Starts one embedded PostgreSQL with two databases migrated to head (`floor`, `assetwatch`),
the floor app (loadtest/bench/floor_app.py: the service's SQL, nothing else) and
`assetwatch serve` (auth, tenancy, validation, metrics), each one uvicorn worker on 127.0.0.1.
For ingest (1,000-point batches) and the last-100-points read, on each server in turn:
a short warm-up, the maximum throughput (closed loop: wrk when installed, else an asyncio
client), then p99 at 70 % of that maximum (open loop at a fixed rate). Writes the figures to
--out (keeping the hand-written part after the NOTES marker) and loadtest/reports/bench.json.
"""

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

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
    ):
        self.name, self.port, self.key, self.signals = name, port, key, signals
        self.ingest_path, self.read_template = ingest, read
        self.database_url = database_url

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


def closed(target: Target, kind: str, seconds: int, base: int) -> load.Result:
    ids = ",".join(map(str, target.signals))
    conns = INGEST_CONNECTIONS if kind == "ingest" else READ_CONNECTIONS
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
    make = target.ingest_factory(base) if kind == "ingest" else target.read_factory()
    headers = {"Authorization": f"Bearer {target.key}"}
    return asyncio.run(
        load.open_loop("127.0.0.1", target.port, headers, make, rate=rate, seconds=seconds)
    )


def measure(targets: list[Target], seconds: int) -> dict[str, dict[str, dict[str, object]]]:
    now = int(time.time())
    day = 86_400
    results: dict[str, dict[str, dict[str, object]]] = {}
    for kind in ("ingest", "read"):
        for target in targets:
            print(f"-- {kind} on {target.name}", file=sys.stderr, flush=True)
            if kind == "read":
                target.analyze()
            closed(target, kind, 2, now - 120 * day)  # warm-up: pools, caches, plans
            best = closed(target, kind, seconds, now - 90 * day)
            rate = max(1.0, best.rps * LOAD_FRACTION)
            paced = opened(target, kind, rate, seconds, now - 60 * day)
            results.setdefault(kind, {})[target.name] = {
                "max": asdict(best) | {"rps": best.rps},
                "at70": asdict(paced) | {"rps": paced.rps, "target_rps": rate},
            }
            print(
                f"   max {best.rps:8.1f} req/s p50 {best.p50_ms:6.1f} p99 {best.p99_ms:6.1f} ms"
                f" ({best.errors} errors, {best.tool});  at {rate:.0f}/s:"
                f" p50 {paced.p50_ms:6.1f} p99 {paced.p99_ms:6.1f} ms ({paced.errors} errors"
                f"{': ' + paced.error_kinds if paced.errors else ''})",
                file=sys.stderr,
                flush=True,
            )
    return results


def _errors(phases: dict[str, dict[str, object]]) -> str:
    parts = [
        f"{phase}: {p['errors']} ({p['error_kinds']})"
        for phase, p in phases.items()
        if p["errors"]  # type: ignore[truthy-bool]
    ]
    return "; ".join(parts) or "0"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def render(results: dict[str, dict[str, dict[str, object]]], env: dict[str, str], seconds: int,
           old: str) -> str:  # fmt: skip
    def fig(kind: str, name: str, phase: str, key: str) -> float:
        return float(results[kind][name][phase][key])  # type: ignore[index,arg-type]

    rows, verdicts = [], []
    for kind, unit, per in (("ingest", "points/s", POINTS), ("read", "req/s", 1)):
        label = "POST 1,000-point batch" if kind == "ingest" else "GET last 100 points"
        floor_max = fig(kind, "floor", "max", "rps") * per
        aw_max = fig(kind, "assetwatch", "max", "rps") * per
        ratio = aw_max / floor_max if floor_max else 0.0
        for name, best in (("floor", floor_max), ("assetwatch", aw_max)):
            rows.append(
                f"| {label} | {name} | {best:,.0f} {unit} "
                f"| {fig(kind, name, 'max', 'p50_ms'):.1f} / {fig(kind, name, 'max', 'p99_ms'):.1f}"
                f" | {fig(kind, name, 'at70', 'rps'):,.1f} req/s "
                f"| {fig(kind, name, 'at70', 'p50_ms'):.1f}"
                f" / {fig(kind, name, 'at70', 'p99_ms'):.1f}"
                f" | {_errors(results[kind][name])} |"
            )
        rows.append(f"| {label} | **ratio assetwatch/floor** | **{ratio:.0%}** | | | | |")
        p99 = fig(kind, "assetwatch", "at70", "p99_ms")
        met = "met" if ratio >= RATIO_TARGET else "**missed**"
        verdicts.append(
            f"- {label}: throughput {ratio:.0%} of the floor (target ≥ {RATIO_TARGET:.0%}): {met}"
        )
        met = "met" if p99 < P99_TARGET_MS else "**missed**"
        verdicts.append(
            f"- {label}: p99 {p99:.1f} ms at 70 % of assetwatch's max "
            f"(target < {P99_TARGET_MS:.0f} ms): {met}"
        )
    tool = str(results["ingest"]["floor"]["max"]["tool"])
    notes = old.split(NOTES, 1)[1] if NOTES in old else "\n"
    return (
        "\n".join(
            [
                "# Benchmarks: assetwatch against the raw floor",
                "",
                "Generated by `make bench` (`loadtest/bench/run.py`); figures vary ±20 % between",
                "runs on shared machines: compare the two servers within one run, not across runs.",
                "",
                f"- command: `make bench` (BENCH_SECONDS={seconds}"
                f"{', BENCH_ARGS=' + repr(env['BENCH_ARGS']) if env['BENCH_ARGS'] else ''})",
                f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                f"- machine: {os.cpu_count()} CPUs (`nproc` {env['NPROC']}), {_cpu_model()}, "
                f"{platform.system()} {platform.release()}; load average before the run "
                f"{env['LOADAVG']} (1/5/15 min: other work on the machine competes for the cores)",
                f"- Python {platform.python_version()}, PostgreSQL {env['PG_VERSION']} (embedded, "
                "one server, databases `floor` and `assetwatch`; settings changed from the "
                f"defaults: {env['PG_SETTINGS']})",
                f"- load: closed loop with {tool} ({INGEST_CONNECTIONS} connections for ingest, "
                f"{READ_CONNECTIONS} for reads) for the maximum; then an asyncio open-loop client "
                f"at "
                f"{LOAD_FRACTION:.0%} of each server's own maximum (latency from the scheduled "
                f"start). {seconds} s per phase after a 2 s warm-up; generator, servers and "
                "PostgreSQL share the machine.",
                "- floor: `loadtest/bench/floor_app.py` — FastAPI + psycopg pool (autocommit) "
                "running the service's own statements (`INGEST`, `READINGS`, tenancy filter "
                "included), no auth, validation model, metrics or logging. assetwatch: "
                f"`assetwatch serve --workers {env['AW_WORKERS']}` (LOG_LEVEL=WARNING), API key "
                "auth, tenancy checks, "
                "full validation, Prometheus metrics. Planner statistics are refreshed (ANALYZE) "
                "before the read phases.",
                "",
                "| endpoint | server | max throughput | p50 / p99 at max (ms) | open-loop rate "
                "| p50 / p99 at 70 % (ms) | errors |",
                "|---|---|---|---|---|---|---|",
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
    parser.add_argument("--workers", type=int, default=1, help="assetwatch's worker processes")
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
    env["AW_WORKERS"] = str(args.workers)
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
                            env["AW_WORKERS"],
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
                ),
                Target(
                    "assetwatch",
                    aw_port,
                    aw_key,
                    aw_signals,
                    "/v1/measurements",
                    "/v1/signals/{id}/measurements?order=desc&limit=100",
                    aw_url,
                ),
            ]
            results = measure(targets, args.seconds)
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
    args.out.write_text(render(results, env, args.seconds, old))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
