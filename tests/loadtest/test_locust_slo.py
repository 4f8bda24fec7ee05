"""A short, bounded Locust run against a live server, through the same SLO gate as `make
loadtest`: the locustfile, its setup on an empty deployment and the gate run on every CI."""

import subprocess
from pathlib import Path

import pytest
from loadtest.live_server import live_server

from loadtest import run_local, slo_check

pytestmark = pytest.mark.integration

# Light load, so that on a 2-core CI machine shared by Locust, the server and PostgreSQL the
# gate measures the service rather than the machine; `make loadtest` applies real load.
USERS, SPAWN_RATE = 4, 4


def test_a_short_load_run_meets_the_slo(tmp_path: Path) -> None:
    with live_server("loadtest") as server:
        code = run_local.run(server.base_url, server.admin_key, USERS, SPAWN_RATE, "15s", tmp_path)
    stats = (tmp_path / "run_stats.csv").read_text()
    for endpoint in ("/v1/measurements", "/v1/assets/{asset_id}/latest", "/v1/assets"):
        assert f",{endpoint}," in stats, stats  # every kind of traffic ran
    assert code == 0, subprocess.list2cmdline(["see", str(tmp_path)])


def test_the_gate_fails_on_a_failed_request_or_a_slow_endpoint(tmp_path: Path) -> None:
    header = "Type,Name,Request Count,Failure Count,50%,99%\n"
    (tmp_path / "ok_stats.csv").write_text(
        header + "GET,/a,10,0,5,20\nAggregated,Aggregated,10,0,5,20\n"
    )
    (tmp_path / "failed_stats.csv").write_text(header + "GET,/a,10,1,5,20\n")
    (tmp_path / "slow_stats.csv").write_text(header + "GET,/a,10,0,5,250\n")
    (tmp_path / "empty_stats.csv").write_text(header + "GET,/a,0,0,N/A,N/A\n")
    assert slo_check.check(str(tmp_path / "ok"), 200) == []
    for bad in ("failed", "slow", "empty"):
        assert slo_check.check(str(tmp_path / bad), 200), bad
