"""`assetwatch serve --reload` (what `make dev` runs): a change under a watched directory restarts
the API process, while the database, its rows and the key made before the restart stay usable."""

import time
from collections.abc import Callable
from pathlib import Path

import httpx
from loadtest.live_server import live_server

TIMEOUT = 30.0


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"waited {TIMEOUT}s for {what}"
        time.sleep(0.2)


def _ready(client: httpx.Client) -> bool:
    try:
        return client.get("/readyz").status_code == 200
    except httpx.TransportError:
        return False


def test_a_change_restarts_the_api_and_the_database_and_key_survive(tmp_path: Path) -> None:
    watched = tmp_path / "src"
    watched.mkdir()
    with live_server("reload", args=["--reload", "--reload-dir", str(watched)]) as server:
        headers = {"Authorization": f"Bearer {server.admin_key}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as client:
            created = client.post("/v1/assets", json={"name": "Before the reload"})
            assert created.status_code == 201, created.text

            (watched / "changed.py").write_text("CHANGED = True\n")
            _wait_for(lambda: "Reloading" in server.log.read_text(), "the reloader to notice")
            _wait_for(lambda: _ready(client), "the restarted API")

            listed = client.get("/v1/assets")
            assert listed.status_code == 200, listed.text  # the key made before the restart
            assert [asset["name"] for asset in listed.json()["items"]] == ["Before the reload"]
    # SIGTERM stops the reloader, its child, the worker and the embedded PostgreSQL cleanly.
    assert server.process.returncode == 0
