"""Telemetry: batch ingest, raw ranges, rollups, latest state. The hot paths.

Ingest decodes the raw body once, straight into columns (api/ingest_body.py), and the reads
answer with orjson-encoded bytes: on these paths JSON handling costs more than the SQL.
"""

from datetime import datetime, timedelta
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from assetwatch.api import responses, rollup_json
from assetwatch.api.deps import Authorized, runtime_of
from assetwatch.api.direct_route import DirectRoute
from assetwatch.api.ingest_body import decode_points
from assetwatch.api.metrics import POINTS_INGESTED
from assetwatch.api.openapi import operation_id
from assetwatch.api.params import Id
from assetwatch.api.problems import invalid_request, problem
from assetwatch.api.query_models import (
    RollupsQuery,
    asset_rollups_query,
    readings_query,
    rollups_query,
)
from assetwatch.api.schemas import (
    AssetRollups,
    IngestResult,
    Latest,
    Page,
    ReadingOut,
    Rollups,
)
from assetwatch.domain.measurements import EARLIEST
from assetwatch.domain.types import utcnow
from assetwatch.services import telemetry

# DirectRoute: the hot paths skip FastAPI's per-request dependency solving (api/direct_route.py).
router = APIRouter(
    tags=["telemetry"],
    responses=responses.AUTHENTICATED,
    route_class=DirectRoute,
    generate_unique_id_function=operation_id,  # spliced in directly: the app's does not apply
)

DEFAULT_ROLLUP_SPAN = timedelta(days=1)
# The body is validated from raw bytes (below), so FastAPI cannot derive its schema: the
# document registers `MeasurementBatch` itself (api/openapi.py).
_BODY_SCHEMA = {"$ref": "#/components/schemas/MeasurementBatch"}
_BODY_EXAMPLE = {
    "points": [
        {"signal_id": 1, "ts": "2026-11-22T08:00:00Z", "value": 81.5},
        {"signal_id": 1, "ts": "2026-11-22T08:00:10Z", "value": 81.9},
    ]
}


def _span(query: RollupsQuery) -> tuple[datetime, datetime]:
    """The query's range; by default the day before `end` (from the earliest instant, if less
    than a day after it), and `end` now."""
    end = query.end or utcnow()
    if query.start is not None:
        return query.start, end
    return (end - DEFAULT_ROLLUP_SPAN if end - EARLIEST > DEFAULT_ROLLUP_SPAN else EARLIEST), end


def _json(content: Any) -> Response:
    return Response(orjson.dumps(content, option=orjson.OPT_UTC_Z), media_type="application/json")


@router.post(
    "/v1/measurements",
    response_model=IngestResult,
    responses={**responses.TOO_LARGE},
    summary="Write a batch of points (all or nothing; re-sending a point overwrites it)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _BODY_SCHEMA, "example": _BODY_EXAMPLE}},
        }
    },
)
async def write_measurements(request: Request, auth: Authorized) -> Response:
    settings = runtime_of(request).settings
    body = await request.body()
    try:
        points = decode_points(body)
    except ValidationError as error:
        raise invalid_request(error, "body") from error
    if len(points) > settings.ingest_max_points:
        return problem(413, f"{len(points)} points; at most {settings.ingest_max_points} a request")
    written = await telemetry.ingest(
        auth.telemetry,
        auth.caller,
        points,
        max_future=timedelta(seconds=settings.ingest_max_future_seconds),
    )
    POINTS_INGESTED.inc(written)
    return _json({"written": written})


@router.get(
    "/v1/signals/{signal_id}/measurements",
    response_model=Page[ReadingOut],
    responses=responses.NOT_FOUND,
    summary="Raw points of a signal in [start, end)",
    openapi_extra=readings_query.openapi,
)
async def read_measurements(signal_id: Id, auth: Authorized, request: Request) -> Response:
    query = readings_query(request)
    page = await telemetry.readings(
        auth.telemetry,
        auth.caller,
        signal_id,
        start=query.start,
        end=query.end,
        descending=query.order == "desc",
        limit=query.limit,
        cursor=query.cursor,
    )
    return _json({"items": page.items, "next_cursor": page.next_cursor})


@router.get(
    "/v1/signals/{signal_id}/rollups",
    response_model=Rollups,
    responses=responses.NOT_FOUND,
    summary="count/min/max/avg of a signal per time bucket (at most 10,000 buckets)",
    openapi_extra=rollups_query.openapi,
)
async def signal_rollups(signal_id: Id, auth: Authorized, request: Request) -> Response:
    query = rollups_query(request)
    start, end = _span(query)
    rows = await telemetry.rollups(
        auth.telemetry, auth.caller, signal_id, bucket=query.bucket, start=start, end=end
    )
    [items] = rollup_json.items([rows])
    return _json({"bucket": query.bucket, "items": items})


@router.get(
    "/v1/assets/{asset_id}/rollups",
    response_model=AssetRollups,
    responses=responses.NOT_FOUND,
    summary="count/min/max/avg per time bucket of every signal of an asset (one query)",
    openapi_extra=asset_rollups_query.openapi,
)
async def asset_rollups(asset_id: Id, auth: Authorized, request: Request) -> Response:
    query = asset_rollups_query(request)
    start, end = _span(query)
    series = await telemetry.asset_rollups(
        auth.telemetry,
        auth.caller,
        asset_id,
        bucket=query.bucket,
        start=start,
        end=end,
        signal_ids=query.signal_id,
    )
    signal_ids = sorted(series)
    arrays = rollup_json.items([series[signal_id] for signal_id in signal_ids])
    return _json(
        {
            "asset_id": asset_id,
            "bucket": query.bucket,
            "signals": [
                {"signal_id": signal_id, "items": items}
                for signal_id, items in zip(signal_ids, arrays, strict=True)
            ],
        }
    )


@router.get(
    "/v1/assets/{asset_id}/latest",
    response_model=Latest,
    responses=responses.NOT_FOUND,
    summary="The latest point of every signal of an asset (one query)",
)
async def latest_of_asset(asset_id: Id, auth: Authorized) -> Response:
    points = await telemetry.latest(auth.telemetry, auth.caller, asset_id)
    return _json({"asset_id": asset_id, "signals": list(points)})
