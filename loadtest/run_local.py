"""`make loadtest` without HOST: serve locally (fresh embedded PostgreSQL), load it, gate it.

    python -m loadtest.run_local --users 20 --spawn-rate 5 --duration 60s [--reports DIR]

Starts `assetwatch serve` on a free port, makes an admin key, runs Locust headless against it
(CSV + HTML reports), stops the server, and exits with the SLO check's code.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from loadtest.live_server import live_server

ROOT = Path(__file__).resolve().parents[1]


def run(
    host: str, admin_key: str, users: int, spawn_rate: int, duration: str, reports: Path
) -> int:
    """Locust headless against `host`, then the SLO gate; the gate's exit code."""
    reports.mkdir(parents=True, exist_ok=True)
    prefix = reports / "run"
    env = {**os.environ, "AW_ADMIN_KEY": admin_key}
    locust = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "loadtest" / "locustfile.py"),
        "--headless", "--host", host, "-u", str(users), "-r", str(spawn_rate), "-t", duration,
        "--csv", str(prefix), "--html", str(reports / "report.html"), "--only-summary",
        "--stop-timeout", "5", "--exit-code-on-error", "0",
    ]  # fmt: skip
    subprocess.run(locust, env=env, check=False)
    gate = [sys.executable, str(ROOT / "loadtest" / "slo_check.py"), str(prefix)]
    return subprocess.run(gate, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=int, default=5)
    parser.add_argument("--duration", default="60s")
    parser.add_argument("--reports", type=Path, default=ROOT / "loadtest" / "reports")
    args = parser.parse_args()
    with live_server("loadtest") as server:
        return run(
            server.base_url,
            server.admin_key,
            args.users,
            args.spawn_rate,
            args.duration,
            args.reports,
        )


if __name__ == "__main__":
    sys.exit(main())
