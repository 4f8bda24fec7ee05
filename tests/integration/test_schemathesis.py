"""The whole HTTP contract under schemathesis' own CLI, against a live server.

Every check (`--checks all`: no 5xx, documented statuses, content types, bodies and headers,
`Allow` on 405, schema-valid requests accepted and schema-invalid ones refused, …) over every
phase, the stateful one walking the document's links from each create to the reads, updates and
deletes of what it made. The seed is fixed, so a failure here reproduces with the command it
prints; `make fuzz` runs the same with a larger budget.
"""

from collections.abc import Iterator

import pytest
from loadtest.live_server import LiveServer, live_server

from tests.fuzz import run_schemathesis

MAX_EXAMPLES = 10
SEED = 20261207


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server("fuzz") as server:
        yield server


def test_schemathesis_finds_nothing_with_every_check_and_phase(server: LiveServer) -> None:
    result = run_schemathesis(
        server.base_url, server.admin_key, max_examples=MAX_EXAMPLES, seed=SEED, timeout=900
    )
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr[-5_000:]
    summary = result.stdout
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, summary[-5_000:]
