"""Post-deploy smoke checks: what a deploy can break that unit tests cannot. HTTP only.

Safe to run again and again, and concurrently: the round trip works on a signal of its own
(unique name) under one shared smoke asset, and deletes that signal (and so its points) after.
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

pytestmark = pytest.mark.smoke

SMOKE_ASSET = "assetwatch-smoke"


def test_liveness(anonymous: httpx.Client) -> None:
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "uvicorn" not in response.headers.get("server", "")  # no server banner


def test_readiness_means_schema_at_head(anonymous: httpx.Client) -> None:
    response = anonymous.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


def test_openapi_is_served(anonymous: httpx.Client) -> None:
    spec = anonymous.get("/openapi.json").json()
    assert "/v1/measurements" in spec["paths"]


def test_unauthenticated_calls_are_refused(anonymous: httpx.Client) -> None:
    response = anonymous.get("/v1/assets")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


def test_assets_can_be_listed(api: httpx.Client) -> None:
    response = api.get("/v1/assets", params={"limit": 5})
    assert response.status_code == 200, response.text
    assert "items" in response.json()


def _smoke_asset_id(api: httpx.Client) -> int:
    created = api.post("/v1/assets", json={"name": SMOKE_ASSET, "kind": "smoke-test"})
    if created.status_code == 201:
        return int(created.json()["id"])
    assert created.status_code == 409, created.text  # exists already (another run made it)
    found = api.get("/v1/assets", params={"q": SMOKE_ASSET}).json()["items"]
    return int(next(a["id"] for a in found if a["name"] == SMOKE_ASSET))


@pytest.fixture
def smoke_signal(api: httpx.Client) -> Iterator[tuple[int, int]]:
    asset_id = _smoke_asset_id(api)
    created = api.post(
        f"/v1/assets/{asset_id}/signals",
        json={"name": f"smoke-{uuid.uuid4().hex[:12]}", "unit": "1"},
    )
    assert created.status_code == 201, created.text
    signal_id = int(created.json()["id"])
    yield asset_id, signal_id
    api.delete(f"/v1/signals/{signal_id}")  # its points go with it


def test_ingest_read_back_and_latest(api: httpx.Client, smoke_signal: tuple[int, int]) -> None:
    asset_id, signal_id = smoke_signal
    now = datetime.now(UTC).replace(microsecond=0)
    stamps = [now - timedelta(seconds=s) for s in (20, 10, 0)]
    points = [
        {"signal_id": signal_id, "ts": ts.isoformat(), "value": i} for i, ts in enumerate(stamps)
    ]
    written = api.post("/v1/measurements", json={"points": points})
    assert written.status_code == 200, written.text
    assert written.json() == {"written": 3}

    read = api.get(f"/v1/signals/{signal_id}/measurements", params={"start": stamps[0].isoformat()})
    assert read.status_code == 200, read.text
    assert [p["value"] for p in read.json()["items"]] == [0, 1, 2]

    latest = api.get(f"/v1/assets/{asset_id}/latest").json()
    mine = next(s for s in latest["signals"] if s["signal_id"] == signal_id)
    assert mine["value"] == 2
    assert datetime.fromisoformat(mine["ts"]) == stamps[-1]
