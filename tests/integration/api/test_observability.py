"""What an operator sees: request ids, access logs without secrets, metrics, 503 on a lost DB."""

import logging
import time

import httpx
import pytest
from fastapi import FastAPI

from assetwatch.api.app import create_app
from assetwatch.config import Settings
from assetwatch.domain import Role

from .conftest import Fleet, Tenant

pytestmark = pytest.mark.api


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = [(await client.get("/healthz")).headers["x-request-id"] for _ in range(3)]
    assert all(len(request_id) == 32 for request_id in made)
    assert len(set(made)) == 3  # each request its own


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/nope", "/v1/assets"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path


async def test_cors_is_off_by_default(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/v1/assets",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_cors_allows_configured_origins_only(settings: Settings, migrated_url: str) -> None:
    app = create_app(
        settings.model_copy(update={"cors_origins": ["https://dash.example"]}),
        database_url=migrated_url,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for origin, allowed in (("https://dash.example", True), ("https://evil.example", False)):
            response = await client.options(
                "/v1/assets",
                headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
            )
            assert ("access-control-allow-origin" in response.headers) is allowed, origin


async def test_one_access_line_per_request_and_no_secret_ever_logged(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, caplog: pytest.LogCaptureFixture
) -> None:
    token = acme.tokens[Role.admin]
    secret = token.split("_", 2)[2]  # aw_<hex prefix>_<secret>; the secret may hold "_" itself
    assert len(secret) >= 40
    with caplog.at_level(logging.DEBUG):
        await client.post(
            "/v1/measurements",
            json={
                "points": [
                    {
                        "signal_id": fleet.signal_ids[0],
                        "ts": "2026-11-01T00:00:00Z",
                        "value": 42.4242,
                    }
                ]
            },
            headers={**acme.auth(), "X-Request-ID": "trace-me"},
        )
        await client.get("/v1/assets", headers={"Authorization": f"Bearer {token}x"})  # bad key
    access = [r for r in caplog.records if r.name == "assetwatch.access"]
    ingest = next(r for r in access if getattr(r, "request_id", None) == "trace-me")
    assert ingest.route == "/v1/measurements"  # type: ignore[attr-defined]
    assert ingest.status == 200  # type: ignore[attr-defined]
    assert ingest.sql_statements == 1  # type: ignore[attr-defined]
    assert ingest.organization_id == acme.organization_id  # type: ignore[attr-defined]
    assert ingest.duration_ms > 0  # type: ignore[attr-defined]
    everything = caplog.text + " ".join(str(vars(r)) for r in caplog.records)
    assert secret not in everything
    assert "42.4242" not in everything  # no request body


async def test_metrics_expose_requests_statements_pool_and_ingest(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    await client.post(
        "/v1/measurements",
        json={
            "points": [{"signal_id": fleet.signal_ids[0], "ts": "2026-11-01T00:00:00Z", "value": 1}]
        },
        headers=acme.auth(),
    )
    await client.get("/nope/1")
    await client.get("/nope/2")
    response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert (
        'assetwatch_http_request_duration_seconds_count{method="POST",route="/v1/measurements",status="200"}'
        in text
    )
    assert 'assetwatch_sql_statements_per_request_bucket{le="2.0",route="/v1/measurements"}' in text
    assert "assetwatch_points_ingested_total" in text
    assert "assetwatch_db_pool_size" in text
    assert "assetwatch_db_pool_checked_out" in text
    assert "assetwatch_build_info{" in text
    assert "/nope/1" not in text  # unmatched paths share one series
    assert 'route="unmatched"' in text


async def test_oversized_bodies_are_413(
    client: httpx.AsyncClient, acme: Tenant, app: FastAPI
) -> None:
    limit = app.state.runtime.settings.max_body_bytes
    declared = await client.post(
        "/v1/measurements",
        content=b"x" * (limit + 1),
        headers={**acme.auth(), "content-type": "application/json"},
    )
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    streamed = await client.post(
        "/v1/measurements",
        content=chunks(),
        headers={**acme.auth(), "content-type": "application/json"},
    )
    assert streamed.status_code == 413


async def test_a_lost_database_is_503_fast_and_liveness_stays_200(settings: Settings) -> None:
    app = create_app(settings, database_url="postgresql+psycopg://postgres@127.0.0.1:1/gone")
    token = "aw_0123456789ab_" + "s" * 43
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            started = time.monotonic()
            response = await client.get("/v1/assets", headers={"Authorization": f"Bearer {token}"})
            assert time.monotonic() - started < 2
            assert response.status_code == 503
            assert response.headers["retry-after"] == "1"
            assert response.headers["content-type"] == "application/problem+json"
            assert (await client.get("/healthz")).status_code == 200
