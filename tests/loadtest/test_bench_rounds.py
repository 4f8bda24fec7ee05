"""How `make bench` turns rounds into the figures it reports: interleaved order, the median
round, each server's CPU (its workers included), where errors happened, and the report and raw
figures written from them."""

import json
import os
import subprocess
import sys
import time

import pytest
from loadtest.bench import report, rounds
from loadtest.bench.load import Result
from loadtest.bench.results import Environment, KindFigures, Round, ServerFigures, as_json
from loadtest.bench.servers import Target, cpu_seconds

pytestmark = pytest.mark.integration  # not a unit test: it starts a process


def _target(name: str) -> Target:
    return Target(name, 0, "key", [1], "/ingest", "/read", "url", os.getpid())


def _result(rps: float, p99_ms: float = 10.0, errors: int = 0, kinds: str = "") -> Result:
    return Result(int(rps * 10), errors, 10.0, 1.0, p99_ms, "test", kinds)


def _figures(rps: float, cpu_ms: float, paced: list[Round] | None = None) -> ServerFigures:
    maxima = [Round(_result(rps), cpu_ms), Round(_result(rps * 2), cpu_ms)]
    paced = paced or [Round(_result(rps * 0.7, p99_ms=20.0), cpu_ms)]
    return ServerFigures(
        maximum=maxima[0].result,
        cpu_ms=cpu_ms,
        at70=paced[0].result,
        target_rps=rps * 0.7,
        worst_p99_ms=20.0,
        rounds=maxima,
        paced_rounds=paced,
    )


def test_rounds_alternate_which_server_goes_first() -> None:
    calls: list[tuple[str, int]] = []

    def fake(target: Target, *, base: int) -> Result:
        calls.append((target.name, base))
        return _result(100.0)

    results = rounds.interleaved([_target("floor"), _target("assetwatch")], [1, 2, 3], fake)
    assert calls == [
        ("floor", 1),
        ("assetwatch", 1),
        ("assetwatch", 2),
        ("floor", 2),
        ("floor", 3),
        ("assetwatch", 3),
    ]
    assert [len(runs) for runs in results.values()] == [3, 3]


def test_the_median_round_stands_for_the_server() -> None:
    runs = [Round(_result(rps), 0.5) for rps in (300.0, 100.0, 200.0)]
    assert rounds.median_round(runs, "rps").rps == 200.0
    # an even count: the lower of the middle two, never a figure no round measured
    assert rounds.median_round([*runs, Round(_result(400.0), 0.5)], "rps").rps == 200.0
    slow = [Round(_result(100.0, p99_ms=p99), 0.5) for p99 in (12.0, 900.0, 15.0)]
    assert rounds.median_round(slow, "p99_ms").p99_ms == 15.0


def test_errors_name_their_phase_and_round() -> None:
    clean, failed = _result(100.0), _result(100.0, errors=3, kinds="503: 3")
    figures = _figures(100.0, 1.0, paced=[Round(clean, 1.0), Round(failed, 1.0)])
    assert report.errors(figures) == "70 % round 2: 3 (503: 3)"
    assert report.errors(_figures(100.0, 1.0)) == "0"


def test_the_report_and_the_raw_figures_come_from_the_same_rounds() -> None:
    results = {
        kind: KindFigures(
            ratio=0.9,
            ratios=[0.9, 0.8],
            servers={"floor": _figures(100.0, 2.0), "assetwatch": _figures(90.0, 4.0)},
        )
        for kind in ("ingest", "read")
    }
    env = Environment("", "`fsync=on`", "18.1", 1, "0.5 / 0.4 / 0.3", 2)
    text = report.render(results, env, 10, 2, old=f"old figures\n{report.NOTES}\nkept notes\n")
    assert text.startswith("# Benchmarks: assetwatch against the raw floor\n")
    assert "| GET last 100 points | floor | 100 req/s (100 to 200) | 1.0 / 10.0 | 2.00 ms " in text
    assert (
        "| POST 1,000-point batch | **ratio assetwatch/floor** | **90%** (rounds: 90%, 80%)" in text
    )
    assert "- GET last 100 points: throughput 90% of the floor (target ≥ 80%): met" in text
    assert "p99 20.0 ms at 70 % of assetwatch's max, median round (target < 50 ms): met" in text
    assert "old figures" not in text
    assert text.endswith(f"{report.NOTES}\nkept notes\n")
    raw = json.loads(json.dumps(as_json(results)))
    assert raw["read"]["ratio"] == {"median": 0.9, "rounds": [0.9, 0.8]}
    assert raw["read"]["assetwatch"]["max"]["rps"] == 90.0
    assert [r["cpu_ms"] for r in raw["ingest"]["floor"]["rounds"]] == [2.0, 2.0]


def test_server_cpu_counts_the_workers_too() -> None:
    """A `--workers N` server is a supervisor whose workers do the work: their CPU counts."""
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\n"
    worker = subprocess.Popen([sys.executable, "-c", burn + "time.sleep(30)"])
    try:
        own = time.process_time()
        before = cpu_seconds(os.getpid())
        time.sleep(1.5)  # the worker burns 0.5 s of CPU, then sleeps
        spent = cpu_seconds(os.getpid()) - before - (time.process_time() - own)
        assert spent >= 0.4, spent
    finally:
        worker.kill()
        worker.wait()
