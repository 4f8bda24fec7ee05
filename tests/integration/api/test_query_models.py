"""The hot reads' query parameters (validated by hand, api/query_models.py): read like FastAPI
reads them, documented like it too. No database needed; kept with the API tests because the
api package imports SQLAlchemy, which the unit suite must not load."""

from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError

from assetwatch.api.params import Cursor
from assetwatch.api.problems import install_problem_handlers
from assetwatch.api.query_models import readings_query, rollups_query
from assetwatch.api.schemas import Order
from assetwatch.domain.readings import BUCKET_PATTERN
from assetwatch.domain.types import Timestamp
from assetwatch.services.telemetry import MAX_READINGS_LIMIT


def _request(query: str) -> Request:
    return Request({"type": "http", "query_string": query.encode(), "headers": []})


def test_defaults_apply_and_unknown_parameters_are_ignored() -> None:
    query = readings_query(_request("sort=evil&x=1"))
    assert (query.start, query.end, query.order, query.limit, query.cursor) == (
        None,
        None,
        "asc",
        1000,
        None,
    )
    assert rollups_query(_request("")).bucket == "1h"


def test_values_are_parsed_and_a_repeated_parameter_keeps_its_last_value() -> None:
    query = readings_query(
        _request("start=2026-11-01T01:00:00%2B01:00&order=desc&limit=5&limit=7&cursor=123")
    )
    assert query.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert (query.order, query.limit, query.cursor) == ("desc", 7, "123")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=ten", "limit"),
        ("order=sideways", "order"),
        ("start=2026-11-01T00:00:00", "start"),  # naive: no zone
        ("end=yesterday", "end"),
        ("cursor=" + "1" * 21, "cursor"),
        ("cursor=abc", "cursor"),
    ],
)
def test_a_bad_value_is_a_422_located_at_its_parameter(query: str, name: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        readings_query(_request(query))
    assert [error["loc"] for error in caught.value.errors()] == [("query", name)]
    assert all("input" not in error for error in caught.value.errors())  # never echoed back


def test_openapi_declares_each_field_as_an_optional_query_parameter() -> None:
    parameters = {p["name"]: p for p in readings_query.openapi["parameters"]}
    assert list(parameters) == ["start", "end", "order", "limit", "cursor"]
    assert {(p["in"], p["required"]) for p in parameters.values()} == {("query", False)}
    assert parameters["limit"]["schema"]["maximum"] == 10_000
    assert parameters["order"]["schema"]["enum"] == ["asc", "desc"]
    assert parameters["start"]["description"] == "inclusive"


def test_a_query_string_seen_before_gives_the_same_answer_and_a_bad_one_fails_each_time() -> None:
    first = readings_query(_request("order=desc&limit=100"))
    assert readings_query(_request("order=desc&limit=100")) == first
    assert readings_query(_request("order=asc&limit=100")).order == "asc"  # not the cached one
    for _ in range(2):
        with pytest.raises(RequestValidationError):
            readings_query(_request("limit=0"))


# --- the same answers as FastAPI's own per-parameter validation ---------------------------------

# The canonical reading: the parameters declared one by one, as the routes declared them before
# `QueryModel` (FastAPI validates each and locates each error at ["query", name]).
canonical = FastAPI()
install_problem_handlers(canonical)


@canonical.get("/readings")
def _canonical_readings(
    start: Annotated[Timestamp | None, Query(description="inclusive")] = None,
    end: Annotated[Timestamp | None, Query(description="exclusive")] = None,
    order: Annotated[Order, Query(description="asc: oldest first")] = "asc",
    limit: Annotated[int, Query(ge=1, le=MAX_READINGS_LIMIT)] = 1000,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return {"start": start, "end": end, "order": order, "limit": limit, "cursor": cursor}


@canonical.get("/rollups")
def _canonical_rollups(
    bucket: Annotated[str, Query(pattern=BUCKET_PATTERN)] = "1h",
    start: Annotated[Timestamp | None, Query()] = None,
    end: Annotated[Timestamp | None, Query()] = None,
) -> dict[str, Any]:
    return {"bucket": bucket, "start": start, "end": end}


fast = FastAPI()
install_problem_handlers(fast)


@fast.get("/readings")
def _fast_readings(request: Request) -> dict[str, Any]:
    return readings_query(request).model_dump()


@fast.get("/rollups")
def _fast_rollups(request: Request) -> dict[str, Any]:
    return rollups_query(request).model_dump()


async def _answer(app: FastAPI, url: str) -> tuple[int, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get(url)
    return response.status_code, response.json()


STAMP = "2026-11-22T08:00:00"
READINGS_EDGES = [
    "limit=0",
    "limit=1",
    "limit=10000",
    "limit=10001",
    "limit=",
    "limit=1.0",
    "limit=1.5",
    "limit=%2B5",
    "limit=1e3",
    "order=DESC",
    "order=desc&order=asc",
    f"start={STAMP}Z&end={STAMP}Z",  # start == end: the use case refuses it, for both
    f"start={STAMP}%2B00:60",  # offsets fromisoformat would take; pydantic does not
    f"end={STAMP}-00:60",
    f"start={STAMP}%2B01:60",
    f"end={STAMP}%2B00:61",
    f"start={STAMP}%2B24:00",
    f"start={STAMP}%2B23:59&end={STAMP}-23:59",
    f"start={STAMP}-00:00",
    f"start={STAMP}+01:00",  # an unescaped + is a space
    "start=2026-11-22T24:00:00Z",
    "end=2026-11-22T23:60:00Z",
    "end=2026-11-22T23:59:60Z",
    "start=0001-01-01T00:00:00%2B01:00",  # year 0 in UTC
    "end=9999-12-31T23:59:59-01:00",  # year 10000 in UTC
    "start=1795334400",
    "start=",
    "cursor=",
    "cursor=" + "9" * 19,
    "cursor=-" + "9" * 19,
    "cursor=" + "9" * 20,
    "cursor=c",
    "cursor=%00",
    "x=1&&limit=2",
]
ROLLUPS_EDGES = [
    "bucket=",
    "bucket=1h",
    "bucket=%201h%20",
    "bucket=1234567890",
    "bucket=12345678901",
    "bucket=" + "%C3%A9" * 10,  # 10 characters, 20 bytes
    "bucket=" + "%C3%A9" * 11,
    "bucket=999999d",
    f"start={STAMP}Z&end={STAMP}Z",
    f"start={STAMP}%2B00:60&end={STAMP}Z",
    f"end={STAMP}-00:60",
]


@pytest.mark.parametrize(
    "url", [f"/readings?{q}" for q in READINGS_EDGES] + [f"/rollups?{q}" for q in ROLLUPS_EDGES]
)
async def test_every_edge_gets_fastapis_answer_first_and_from_the_cache(url: str) -> None:
    expected = await _answer(canonical, url)
    assert await _answer(fast, url) == expected
    query = readings_query if url.startswith("/readings") else rollups_query
    hits = query._parsed.cache_info().hits
    assert await _answer(fast, url) == expected  # the same query string again
    if expected[0] == 200:
        assert query._parsed.cache_info().hits == hits + 1  # answered from the cache
