"""docs/benchmarks.md from what `make bench` measured: the set-up, a table of both servers per
kind of request, and the verdict on each target; the hand-written notes below NOTES are kept."""

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from loadtest.bench.results import SERVERS, Environment, KindFigures, Results, ServerFigures
from loadtest.bench.rounds import INGEST_CONNECTIONS, LOAD_FRACTION, POINTS, READ_CONNECTIONS

P99_TARGET_MS, RATIO_TARGET = 50.0, 0.8
NOTES = "<!-- NOTES: everything below this line is kept when `make bench` rewrites the file -->"
# Each kind of request: its label, the unit of its throughput, and what one request carries.
KIND_ROWS = (
    ("ingest", "POST 1,000-point batch", "points/s", POINTS),
    ("read", "GET last 100 points", "req/s", 1),
)


def errors(figures: ServerFigures) -> str:
    """Where a server's errors happened: "70 % round 2: 3 (503: 3)", or "0"."""
    phases = [("max", n, r.result) for n, r in enumerate(figures.rounds, 1)]
    phases += [("70 %", n, r.result) for n, r in enumerate(figures.paced_rounds, 1)]
    parts = [
        f"{phase} round {n}: {result.errors}"
        + (f" ({result.error_kinds})" if result.error_kinds else "")
        for phase, n, result in phases
        if result.errors
    ]
    return "; ".join(parts) or "0"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def _server_row(label: str, name: str, figures: ServerFigures, unit: str, per: int) -> str:
    best, at70 = figures.maximum, figures.at70
    rates = [r.result.rps * per for r in figures.rounds]
    return (
        f"| {label} | {name} | {best.rps * per:,.0f} {unit} "
        f"({min(rates):,.0f} to {max(rates):,.0f}) "
        f"| {best.p50_ms:.1f} / {best.p99_ms:.1f} | {figures.cpu_ms:.2f} ms "
        f"| {at70.rps:,.1f} req/s | {at70.p50_ms:.1f} / {at70.p99_ms:.1f} "
        f"({figures.worst_p99_ms:.1f}) | {errors(figures)} |"
    )


def _ratio_row(label: str, kind: KindFigures) -> str:
    per_round = ", ".join(f"{r:.0%}" for r in kind.ratios)
    cpu = kind.servers["floor"].cpu_ms / kind.servers["assetwatch"].cpu_ms
    return (
        f"| {label} | **ratio assetwatch/floor** | **{kind.ratio:.0%}** (rounds: {per_round}) "
        f"| | {cpu:.0%} (floor's / assetwatch's) | | | |"
    )


def _verdicts(label: str, kind: KindFigures) -> list[str]:
    p99 = kind.servers["assetwatch"].at70.p99_ms
    throughput = "met" if kind.ratio >= RATIO_TARGET else "**missed**"
    latency = "met" if p99 < P99_TARGET_MS else "**missed**"
    return [
        f"- {label}: throughput {kind.ratio:.0%} of the floor (target ≥ {RATIO_TARGET:.0%}): "
        f"{throughput}",
        f"- {label}: p99 {p99:.1f} ms at 70 % of assetwatch's max, median round "
        f"(target < {P99_TARGET_MS:.0f} ms): {latency}",
    ]


def _setup(env: Environment, tool: str, seconds: int, rounds: int) -> list[str]:
    """The run's bullet list: command, date, machine, software, load and the two servers."""
    bench_args = f", BENCH_ARGS={env.bench_args!r}" if env.bench_args else ""
    return [
        f"- command: `make bench` (BENCH_SECONDS={seconds}, BENCH_ROUNDS={rounds}{bench_args})",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} CPUs (`nproc` {env.nproc}), {_cpu_model()}, "
        f"{platform.system()} {platform.release()}; load average before the run "
        f"{env.load_average} (1/5/15 min: other work on the machine competes for the cores)",
        f"- Python {platform.python_version()}, PostgreSQL {env.pg_version} (embedded, "
        "one server, databases `floor` and `assetwatch`; settings changed from the "
        f"defaults: {env.pg_settings})",
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
        f"`uvicorn --workers {env.workers}`. assetwatch: "
        f"`assetwatch serve --workers {env.workers}` (LOG_LEVEL=WARNING), API key "
        "auth, tenancy checks, "
        "full validation, Prometheus metrics. Planner statistics are refreshed (ANALYZE) "
        "before the read phases.",
    ]


def render(results: Results, env: Environment, seconds: int, rounds: int, old: str) -> str:
    """The new docs/benchmarks.md; `old` is the file as it was (its notes are kept)."""
    rows, verdicts = [], []
    for kind, label, unit, per in KIND_ROWS:
        figures = results[kind]
        rows += [_server_row(label, name, figures.servers[name], unit, per) for name in SERVERS]
        rows.append(_ratio_row(label, figures))
        verdicts += _verdicts(label, figures)
    tool = results["ingest"].servers["floor"].maximum.tool
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
                *_setup(env, tool, seconds, rounds),
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
