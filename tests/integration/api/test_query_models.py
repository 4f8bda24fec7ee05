"""The hot reads' query parameters (validated by hand, api/query_models.py): read like FastAPI
reads them, documented like it too. No database needed; kept with the API tests because the
api package imports SQLAlchemy, which the unit suite must not load."""

from datetime import UTC, datetime

import pytest
from fastapi import Request
from fastapi.exceptions import RequestValidationError

from assetwatch.api.query_models import readings_query, rollups_query


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
        _request("start=2026-11-01T01:00:00%2B01:00&order=desc&limit=5&limit=7&cursor=abc")
    )
    assert query.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert (query.order, query.limit, query.cursor) == ("desc", 7, "abc")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=ten", "limit"),
        ("order=sideways", "order"),
        ("start=2026-11-01T00:00:00", "start"),  # naive: no zone
        ("end=yesterday", "end"),
        ("cursor=" + "c" * 513, "cursor"),
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
