"""The document as a consumer's code generator reads it: openapi-python-client generates a
client without a warning, and every operation works through it, typed, against a live server.

The generator runs in its own environment (`uv tool run`, pinned), as a consumer would run it:
it is not a project dependency (it would hold back the CLI's typer).
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from loadtest.live_server import LiveServer, live_server

GENERATOR = "openapi-python-client==0.29.1"
CONSUMER = Path(__file__).resolve().parents[1] / "generated_client.py"


def _uv() -> list[str]:
    """uv as `make` runs it: `uv run` names itself in UV; otherwise on PATH, or as a module."""
    found = os.environ.get("UV") or shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server("client") as server:
        yield server


def test_a_generated_client_calls_every_operation_typed(server: LiveServer, tmp_path: Path) -> None:
    command = [*_uv(), "tool", "run", "--from", GENERATOR, "python", str(CONSUMER),
               server.base_url, server.admin_key, str(tmp_path)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("25 calls through the generated client")
