"""How `make bench` turns rounds into the figures it reports: interleaved order, the median
round, each server's CPU (its workers included), and where errors happened."""

import os
import subprocess
import sys
import time
from dataclasses import asdict

import pytest
from loadtest.bench import run
from loadtest.bench.load import Result

pytestmark = pytest.mark.integration  # not a unit test: it starts a process


def _target(name: str) -> run.Target:
    return run.Target(name, 0, "key", [1], "/ingest", "/read", "url", os.getpid())


def _result(rps: float, p99_ms: float = 10.0, errors: int = 0, kinds: str = "") -> Result:
    return Result(int(rps * 10), errors, 10.0, 1.0, p99_ms, "test", kinds)


def test_rounds_alternate_which_server_goes_first() -> None:
    calls: list[tuple[str, int]] = []

    def fake(target: run.Target, *, base: int) -> Result:
        calls.append((target.name, base))
        return _result(100.0)

    results = run._interleaved([_target("floor"), _target("assetwatch")], [1, 2, 3], fake)
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
    runs = [(_result(rps), 0.5) for rps in (300.0, 100.0, 200.0)]
    assert run._median_run(runs, "rps").rps == 200.0
    # an even count: the lower of the middle two, never a figure no round measured
    assert run._median_run([*runs, (_result(400.0), 0.5)], "rps").rps == 200.0
    slow = [(_result(100.0, p99_ms=p99), 0.5) for p99 in (12.0, 900.0, 15.0)]
    assert run._median_run(slow, "p99_ms").p99_ms == 15.0


def test_errors_name_their_phase_and_round() -> None:
    clean = asdict(_result(100.0))
    failed = asdict(_result(100.0, errors=3, kinds="503: 3"))
    figures = {"rounds": [clean, clean], "paced_rounds": [clean, failed]}
    assert run._errors(figures) == "70 % round 2: 3 (503: 3)"
    assert run._errors({"rounds": [clean], "paced_rounds": [clean]}) == "0"


def test_server_cpu_counts_the_workers_too() -> None:
    """A `--workers N` server is a supervisor whose workers do the work: their CPU counts."""
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\n"
    worker = subprocess.Popen([sys.executable, "-c", burn + "time.sleep(30)"])
    try:
        own = time.process_time()
        before = run.cpu_seconds(os.getpid())
        time.sleep(1.5)  # the worker burns 0.5 s of CPU, then sleeps
        spent = run.cpu_seconds(os.getpid()) - before - (time.process_time() - own)
        assert spent >= 0.4, spent
    finally:
        worker.kill()
        worker.wait()
