"""Where the smoke suite points: a deployed service, or a live local one it starts itself.

`--base-url` (or SMOKE_BASE_URL) and SMOKE_API_KEY (a writer or admin key) aim it at a
deployment; it never imports the app or touches the database. Without a base URL the session
starts a real `assetwatch serve` (embedded PostgreSQL, fresh data dir) and makes a key.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--base-url", default=None, help="deployed assetwatch to smoke-test")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "smoke: post-deploy checks against a live base URL")


@dataclass(frozen=True)
class Target:
    base_url: str
    api_key: str


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    base_url = request.config.getoption("--base-url", default=None) or os.environ.get(
        "SMOKE_BASE_URL"
    )
    if base_url:
        api_key = os.environ.get("SMOKE_API_KEY")
        if not api_key:
            pytest.fail("SMOKE_API_KEY must hold a writer or admin key for the target")
        yield Target(base_url.rstrip("/"), api_key)
        return
    from loadtest.live_server import live_server  # only when no deployment is given

    with live_server() as server:
        yield Target(server.base_url, server.admin_key)


@pytest.fixture(scope="session")
def anonymous(target: Target) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=target.base_url, timeout=5) as client:
        yield client


@pytest.fixture(scope="session")
def api(target: Target) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {target.api_key}"}
    with httpx.Client(base_url=target.base_url, headers=headers, timeout=5) as client:
        yield client
