"""The raw floor for `make bench`: the service's own SQL behind a minimal FastAPI + psycopg app.

No auth, validation models, metrics or logging: what is left is HTTP, JSON and the statements
themselves. The SQL is not copied: ingest is `assetwatch.db.queries.INGEST` and the read is
`assetwatch.db.telemetry_reads.READINGS[True]` (newest first, hot rows and segments, merged by
`merge_readings`), both with their tenancy filter on FLOOR_ORGANIZATION_ID, the very text the
service sends (compiled once for psycopg), so the two cannot drift apart; the ingest arrays go
in binary, as the service sends them.

    FLOOR_DATABASE_URL=postgresql://... FLOOR_ORGANIZATION_ID=1 \
        uvicorn loadtest.bench.floor_app:app --port 8001
"""

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from psycopg_pool import AsyncConnectionPool

from assetwatch.db.queries import END_OF_TIME, INGEST, BinaryArray
from assetwatch.db.telemetry_merge import merge_readings
from assetwatch.db.telemetry_reads import READINGS, readings_params
from assetwatch.domain.measurements import EARLIEST

INGEST_SQL = INGEST.sql
LAST_100 = READINGS[True]  # newest first
ORGANIZATION_ID = int(os.environ["FLOOR_ORGANIZATION_ID"])
# The service's session settings (db/engine.py): UTC, custom plans, a statement timeout; and
# autocommit, as the service runs these statements (each is atomic by itself).
OPTIONS = "-c timezone=UTC -c plan_cache_mode=force_custom_plan -c statement_timeout=5000"


def _dsn() -> str:
    url = os.environ["FLOOR_DATABASE_URL"]
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool = AsyncConnectionPool(
        _dsn(),
        min_size=10,
        max_size=10,
        kwargs={"options": OPTIONS, "autocommit": True},
        open=False,
    )
    await pool.open(wait=True)
    app.state.pool = pool
    gc.freeze()  # as the service does after its start-up (assetwatch.api.app)
    yield
    await pool.close()


app = FastAPI(lifespan=_lifespan, openapi_url=None, docs_url=None, redoc_url=None)


@app.post("/floor/measurements")
async def ingest(request: Request) -> Response:
    points: list[dict[str, Any]] = orjson.loads(await request.body())["points"]
    params = {
        "organization_id": ORGANIZATION_ID,
        "signal_ids": BinaryArray(p["signal_id"] for p in points),
        "ts": BinaryArray(datetime.fromisoformat(p["ts"]) for p in points),
        "values": BinaryArray(float(p["value"]) for p in points),
    }
    async with request.app.state.pool.connection() as conn:
        await conn.execute(INGEST_SQL, params)
    return Response(orjson.dumps({"written": len(points)}), media_type="application/json")


@app.get("/floor/signals/{signal_id}/last100")
async def last_100(signal_id: int, request: Request) -> Response:
    async with request.app.state.pool.connection() as conn:
        params = readings_params(ORGANIZATION_ID, signal_id, EARLIEST, END_OF_TIME, 100)
        cursor = await conn.execute(LAST_100.sql, LAST_100.params(params))
        rows = await cursor.fetchall()
    items = merge_readings(rows, EARLIEST, END_OF_TIME, descending=True, limit=100)
    return Response(
        orjson.dumps({"items": items, "next_cursor": None}), media_type="application/json"
    )
