"""Hostile and malformed input: always a 4xx problem, never a 500."""

import httpx
import pytest

from .conftest import Fleet, Tenant

pytestmark = pytest.mark.api

JSON = {"content-type": "application/json"}


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


# What a body that cannot be read as JSON at all gets (before any validation).


async def test_deeply_nested_json_is_refused_cleanly(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    depth = 10_000
    body = '{"name": "deep", "attributes": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    response = await client.post("/v1/assets", content=body, headers={**acme.auth(), **JSON})
    assert_problem(response, 422)
    assert response.json()["errors"] == [
        {"loc": ["body"], "msg": "the body could not be read as JSON", "type": "json_invalid"}
    ]
    listed = await client.get("/v1/assets", headers=acme.auth())
    assert listed.json()["items"] == []  # nothing was stored


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_non_finite_numbers_are_422(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, literal: str
) -> None:
    body = (
        f'{{"points": [{{"signal_id": {fleet.signal_ids[0]}, '
        f'"ts": "2026-11-01T00:00:00Z", "value": {literal}}}]}}'
    )
    response = await client.post("/v1/measurements", content=body, headers={**acme.auth(), **JSON})
    assert_problem(response, 422)


async def test_non_finite_numbers_in_attributes_are_refused(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    body = '{"name": "nan asset", "attributes": {"x": NaN}}'
    response = await client.post("/v1/assets", content=body, headers={**acme.auth(), **JSON})
    assert_problem(response, 422)


async def test_a_non_utf8_asset_body_is_422_invalid_json_as_for_ingest(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    """FastAPI answers a body it cannot decode with a bare 400; it is the same mistake as a
    body that is not JSON, so every route answers it the same 422."""
    response = await client.post(
        "/v1/assets", content=b'{"name": "\xff\xfe"}', headers={**acme.auth(), **JSON}
    )
    assert_problem(response, 422)
    assert [(e["loc"], e["type"]) for e in response.json()["errors"]] == [
        (["body"], "json_invalid")
    ]


async def test_a_non_utf8_ingest_body_is_422_invalid_json(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    """The ingest route decodes its body itself: the error names the JSON problem."""
    response = await client.post(
        "/v1/measurements", content=b'{"name": "\xff\xfe"}', headers={**acme.auth(), **JSON}
    )
    assert_problem(response, 422)
    assert [(e["loc"], e["type"]) for e in response.json()["errors"]] == [
        (["body"], "json_invalid")
    ]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_wrong_content_types_are_refused(
    client: httpx.AsyncClient, acme: Tenant, content_type: str
) -> None:
    response = await client.post(
        "/v1/assets",
        content=b'{"name": "typed"}',
        headers={**acme.auth(), "content-type": content_type},
    )
    assert_problem(response, 422)
    assert [(e["loc"], e["type"]) for e in response.json()["errors"]] == [
        (["body"], "model_attributes_type")
    ]


async def test_ids_beyond_bigint_in_paths_and_bodies_are_422(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    huge = 2**63
    for path in (
        f"/v1/assets/{huge}",
        f"/v1/signals/{huge}",
        f"/v1/signals/{huge}/measurements",
        f"/v1/assets/{huge}/latest",
        "/v1/assets/-1",
    ):
        assert_problem(await client.get(path, headers=acme.auth()), 422)
    body = {"points": [{"signal_id": huge, "ts": "2026-11-01T00:00:00Z", "value": 1}]}
    assert_problem(await client.post("/v1/measurements", json=body, headers=acme.auth()), 422)


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "eyJhZnRlcl9pZCI6ICJ4In0",  # the base64 JSON cursors of before
        "1" * 21,
        "1.5",
        "1e3",
        "",
    ],
)
async def test_tampered_cursors_are_422_on_every_list(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet, cursor: str
) -> None:
    for path in (
        "/v1/assets",
        f"/v1/assets/{fleet.asset_id}/signals",
        "/v1/api-keys",
        f"/v1/signals/{fleet.signal_ids[0]}/measurements",
    ):
        response = await client.get(path, params={"cursor": cursor}, headers=acme.auth())
        assert_problem(response, 422)


async def test_a_cursor_past_the_end_of_every_list_is_an_empty_last_page(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    """Beyond bigint and beyond year 9999: the query would fail if the position were not
    clamped, and the documented pattern admits it."""
    for path in (
        "/v1/assets",
        f"/v1/assets/{fleet.asset_id}/signals",
        "/v1/api-keys",
        f"/v1/signals/{fleet.signal_ids[0]}/measurements",
    ):
        response = await client.get(path, params={"cursor": "9" * 19}, headers=acme.auth())
        assert response.status_code == 200, path
        assert response.json() == {"items": [], "next_cursor": None}, path


async def test_unknown_query_parameters_are_ignored(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    for path in (
        "/v1/assets",
        f"/v1/assets/{fleet.asset_id}/latest",
        f"/v1/signals/{sid}/measurements",
        f"/v1/signals/{sid}/rollups",
    ):
        response = await client.get(path, params={"sort": "evil", "x": "1"}, headers=acme.auth())
        assert response.status_code == 200, path


async def test_absurd_query_values_are_422(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    sid = fleet.signal_ids[0]
    for query, loc in (
        ({"start": "not-a-date"}, ["query", "start"]),
        ({"start": "2026-11-02T00:00:00Z", "end": "2026-11-01T00:00:00Z"}, ["query", "start"]),
        ({"order": "sideways"}, ["query", "order"]),
        ({"limit": "10001"}, ["query", "limit"]),
        ({"limit": "-5"}, ["query", "limit"]),
    ):
        response = await client.get(
            f"/v1/signals/{sid}/measurements", params=query, headers=acme.auth()
        )
        assert_problem(response, 422)
        assert [error["loc"] for error in response.json()["errors"]] == [loc], query
    huge_window = {"bucket": "1s", "start": "0001-01-01T00:00:00Z", "end": "9999-12-31T00:00:00Z"}
    response = await client.get(
        f"/v1/signals/{sid}/rollups", params=huge_window, headers=acme.auth()
    )
    assert_problem(response, 422)


@pytest.mark.parametrize("name", ["kind", "q", "tag"])
async def test_nul_characters_in_list_filters_are_422(
    client: httpx.AsyncClient, acme: Tenant, name: str
) -> None:
    response = await client.get("/v1/assets", params={name: "trac\x00tor"}, headers=acme.auth())
    assert_problem(response, 422)


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "nul\\u0000name"}',
        '{"name": "ok", "description": "a\\u0000b"}',
        '{"name": "ok", "attributes": {"k\\u0000": 1}}',
        '{"name": "ok", "attributes": {"k": ["x", {"deep": "\\u0000"}]}}',
        '{"name": "lone \\ud800 surrogate"}',
        '{"name": "ok", "attributes": {"k": "\\udfff"}}',
    ],
)
async def test_text_postgresql_cannot_store_is_422(
    client: httpx.AsyncClient, acme: Tenant, body: str
) -> None:
    response = await client.post("/v1/assets", content=body, headers={**acme.auth(), **JSON})
    assert_problem(response, 422)
    assert response.json()["errors"], response.text
    listed = await client.get("/v1/assets", headers=acme.auth())
    assert listed.json()["items"] == []  # nothing was stored


async def test_text_checks_leave_real_unicode_alone(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    body = {"name": "Tractor 7 — Zürich 🚜", "attributes": {"größe": ["日本語", {"emoji": "🌾"}]}}
    response = await client.post("/v1/assets", json=body, headers=acme.auth())
    assert response.status_code == 201, response.text
    assert response.json()["attributes"] == body["attributes"]


async def test_instants_before_year_one_in_utc_are_422(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    """0001-01-01T00:00:00+01:00 is year 0 in UTC: PostgreSQL stores it, nobody could read it."""
    sid = fleet.signal_ids[0]
    year_zero = "0001-01-01T00:00:00+01:00"
    body = {
        "points": [
            {"signal_id": sid, "ts": "2026-11-01T00:00:00Z", "value": 1},
            {"signal_id": sid, "ts": year_zero, "value": 2},
        ]
    }
    response = await client.post("/v1/measurements", json=body, headers=acme.auth())
    assert_problem(response, 422)
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "points", 1, "ts"]]
    for params in ({"start": year_zero}, {"end": year_zero}):
        for path in (f"/v1/signals/{sid}/measurements", f"/v1/signals/{sid}/rollups"):
            assert_problem(await client.get(path, params=params, headers=acme.auth()), 422)
    readings = await client.get(f"/v1/signals/{sid}/measurements", headers=acme.auth())
    assert readings.json()["items"] == []  # the good point of the refused batch was not written
