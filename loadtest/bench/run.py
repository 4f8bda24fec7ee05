"""`make bench`: assetwatch against the raw floor, on one embedded PostgreSQL, in one run.

    python -m loadtest.bench.run [--seconds 10] [--rounds 5] [--workers 1]
                                 [--out docs/benchmarks.md] [--pg-setting NAME=VALUE ...]

Starts one embedded PostgreSQL with two databases migrated to head (`floor`, `assetwatch`),
the floor app (loadtest/bench/floor_app.py: the service's SQL, nothing else) and
`assetwatch serve` (auth, tenancy, validation, metrics), each on --workers uvicorn workers
(1 by default) on 127.0.0.1 (`servers`).
For ingest (1,000-point batches) and the last-100-points read: a short warm-up, the maximum
throughput (closed loop: wrk when installed, else an asyncio client) in --rounds rounds with
the servers interleaved, and each server's CPU a request; then, in as many interleaved rounds,
p99 at 70 % of each server's median maximum (open loop at a fixed rate) (`rounds`). Writes the
figures to --out (keeping the hand-written part after the NOTES marker; `report`) and
loadtest/reports/bench.json.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from loadtest.bench import report, rounds
from loadtest.bench.results import Environment, as_json
from loadtest.bench.servers import ROOT, bench_servers

from assetwatch.embedded_db import SERVER_SETTINGS


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
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
    return parser.parse_args()


def main() -> int:
    args = _arguments()
    pg_settings = dict(SERVER_SETTINGS, **dict(s.split("=", 1) for s in args.pg_setting))
    load_average = " / ".join(f"{x:.1f}" for x in os.getloadavg())  # before anything starts
    with (
        tempfile.TemporaryDirectory(prefix="assetwatch-bench-") as tmp,
        bench_servers(Path(tmp), args.workers, pg_settings) as (targets, pg_version),
    ):
        results = rounds.measure(targets, args.seconds, args.rounds)
    env = Environment(
        bench_args=" ".join(f"--pg-setting {s}" for s in args.pg_setting),
        pg_settings=", ".join(f"`{k}={v}`" for k, v in pg_settings.items()),
        pg_version=pg_version,
        workers=args.workers,
        load_average=load_average,
        nproc=len(os.sched_getaffinity(0)),  # what `nproc` prints
    )
    reports = ROOT / "loadtest" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "bench.json").write_text(json.dumps(as_json(results), indent=2))
    old = args.out.read_text() if args.out.exists() else ""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.render(results, env, args.seconds, args.rounds, old))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
