"""Unit tests: no database, no mappers, no sockets.

Two guards: an autouse fixture makes opening any socket fail, and at the end of a unit-only
session no module of `assetwatch.db` or SQLAlchemy may have been imported (so no test started the
mappers or touched the database layer). `test_purity.py` checks the imports in a clean interpreter
too, so the guard holds even when units and integration tests share one run.
Hypothesis profiles: tests/hypothesis_profiles.py.
"""

import socket
import sys
from collections.abc import Iterator

import pytest

from tests.hypothesis_profiles import load_profile

FORBIDDEN_MODULES = ("assetwatch.db", "sqlalchemy")


def pytest_configure(config: pytest.Config) -> None:
    load_profile(config)


def forbidden_modules_loaded() -> list[str]:
    return sorted(m for m in sys.modules if m.startswith(FORBIDDEN_MODULES))


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unit tests must not open sockets")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket.socket, "bind", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    items = getattr(session, "items", [])
    only_units = items and all("tests/unit/" in item.nodeid for item in items)
    if only_units and (loaded := forbidden_modules_loaded()):
        print(f"\nunit tests loaded forbidden modules: {loaded[:5]}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
