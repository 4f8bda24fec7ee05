"""The SLO gate over a Locust run: exit 1 on any failed request or any endpoint's p99 at or
over the limit (default 200 ms), or when nothing was measured.

    python loadtest/slo_check.py loadtest/reports/run [--p99-ms 200]

reads `<prefix>_stats.csv`, as written by `locust --csv <prefix>`.
"""

import argparse
import csv
import sys
from pathlib import Path


def check(prefix: str, p99_limit_ms: float) -> list[str]:
    rows = list(csv.DictReader(Path(f"{prefix}_stats.csv").read_text().splitlines()))
    endpoints = [r for r in rows if r["Name"] != "Aggregated"]
    print(f"{'endpoint':<48} {'requests':>9} {'failures':>9} {'p50 ms':>8} {'p99 ms':>8}")
    problems = []
    for row in endpoints:
        name = f"{row['Type']} {row['Name']}"
        requests, failures = int(row["Request Count"]), int(row["Failure Count"])
        p50, p99 = row["50%"], row["99%"]
        print(f"{name:<48} {requests:>9} {failures:>9} {p50:>8} {p99:>8}")
        if failures:
            problems.append(f"{name}: {failures} failed request(s)")
        if requests and p99 != "N/A" and float(p99) >= p99_limit_ms:
            problems.append(f"{name}: p99 {p99} ms ≥ {p99_limit_ms:g} ms")
    if sum(int(r["Request Count"]) for r in endpoints) == 0:
        problems.append("no requests were made")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefix", help="the --csv prefix of the Locust run")
    parser.add_argument("--p99-ms", type=float, default=200.0)
    args = parser.parse_args()
    problems = check(args.prefix, args.p99_ms)
    for problem in problems:
        print(f"SLO violated: {problem}", file=sys.stderr)
    print("SLO met" if not problems else f"SLO not met ({len(problems)} problem(s))")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
