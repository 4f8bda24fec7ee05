"""schemathesis' own CLI against a live server: every check, every phase (examples, coverage,
fuzzing, stateful), the repository's schemathesis.toml. Used by the integration test (a small
budget) and by `make fuzz` (a large one)."""

import argparse
import subprocess
import sys
from pathlib import Path

from loadtest.live_server import live_server

ROOT = Path(__file__).resolve().parents[1]
PHASES = "examples,coverage,fuzzing,stateful"


def schemathesis_command(base_url: str, api_key: str, *, max_examples: int, seed: int) -> list[str]:
    return [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(ROOT / "schemathesis.toml"),
        "--no-color",
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        PHASES,
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--generation-database",
        "none",
        "-H",
        f"Authorization: Bearer {api_key}",
    ]


def run_schemathesis(
    base_url: str, api_key: str, *, max_examples: int, seed: int, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        schemathesis_command(base_url, api_key, max_examples=max_examples, seed=seed),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def main() -> int:
    """`make fuzz`: against BASE_URL with API_KEY (an admin key), or a live local server."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url")
    parser.add_argument("--api-key")
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()

    def run(base_url: str, api_key: str) -> int:
        command = schemathesis_command(
            base_url, api_key, max_examples=args.max_examples, seed=args.seed
        )
        return subprocess.run(command, cwd=ROOT, check=False).returncode

    if args.base_url:
        if not args.api_key:
            parser.error("--api-key (an admin key) is needed with --base-url")
        return run(args.base_url, args.api_key)
    with live_server("fuzz") as server:
        return run(server.base_url, server.admin_key)


if __name__ == "__main__":
    sys.exit(main())
