"""The OpenAPI document as clients and their generators read it, and the server keeping to it:
operation ids, links, named schemas, exact bounds, optional-not-nullable updates, every status
and problem type, `Allow` on 405, and one spelling of every instant."""

import re
from typing import Any

import httpx
import pytest

from assetwatch.domain.readings import BUCKET_PATTERN

from .conftest import Fleet, Tenant

pytestmark = pytest.mark.api

OPERATION_IDS = {
    "write_measurements", "read_measurements", "signal_rollups", "asset_rollups",
    "latest_of_asset", "healthz", "readyz", "metrics", "create_key", "list_keys", "revoke_key",
    "create_asset", "list_assets", "get_asset", "update_asset", "delete_asset", "create_signal",
    "list_signals", "get_signal", "update_signal", "delete_signal", "get_retention",
    "set_retention",
}  # fmt: skip
# RFC 3339 in UTC, spelled with `Z`: what every instant in every response looks like.
Z_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    return (await client.get("/openapi.json")).json()  # type: ignore[no-any-return]


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for path in document["paths"].values()
        for operation in path.values()
    }


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


async def test_every_operation_has_a_short_stable_id(document: dict[str, Any]) -> None:
    assert set(_operations(document)) == OPERATION_IDS


async def test_each_create_links_to_what_can_be_done_with_what_it_made(
    document: dict[str, Any],
) -> None:
    operations = _operations(document)
    links = {
        source: operations[source]["responses"]["201"]["links"]
        for source in ("create_asset", "create_signal", "create_key")
    }
    linked = {source: {link["operationId"] for link in links[source].values()} for source in links}
    assert linked["create_asset"] >= {"get_asset", "update_asset", "delete_asset", "create_signal"}
    assert linked["create_signal"] >= {"get_signal", "update_signal", "delete_signal"}
    assert linked["create_key"] == {"revoke_key"}
    for source in linked:
        for link in operations[source]["responses"]["201"]["links"].values():
            target = operations[link["operationId"]]
            path_parameters = {p["name"] for p in target["parameters"] if p["in"] == "path"}
            assert set(link["parameters"]) == path_parameters, link


async def test_the_ingest_body_has_named_schemas_with_exact_integer_bounds(
    document: dict[str, Any],
) -> None:
    ingest = _operations(document)["write_measurements"]
    body = ingest["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/MeasurementBatch"}
    batch = _resolve(document, body)
    assert batch["properties"]["points"]["items"] == {"$ref": "#/components/schemas/Measurement"}
    signal_id = document["components"]["schemas"]["Measurement"]["properties"]["signal_id"]
    assert (signal_id["minimum"], signal_id["maximum"]) == (1, 2**63 - 1)
    assert isinstance(signal_id["maximum"], int)


def _floats_of_bounds(node: Any) -> list[Any]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k in ("minimum", "maximum") and isinstance(v, float)]
        return found + [f for v in node.values() for f in _floats_of_bounds(v)]
    if isinstance(node, list):
        return [f for item in node for f in _floats_of_bounds(item)]
    return []


async def test_no_bound_in_the_document_is_a_float(client: httpx.AsyncClient) -> None:
    raw = (await client.get("/openapi.json")).text
    assert "e+18" not in raw
    assert _floats_of_bounds((await client.get("/openapi.json")).json()) == []


async def test_updates_are_optional_but_not_nullable_except_a_signals_unit(
    document: dict[str, Any], client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    schemas = document["components"]["schemas"]
    nullable = {
        (model, field)
        for model in ("AssetUpdate", "SignalUpdate")
        for field, schema in schemas[model]["properties"].items()
        if any(branch.get("type") == "null" for branch in schema.get("anyOf", []))
    }
    assert nullable == {("SignalUpdate", "unit")}
    refused = await client.patch(
        f"/v1/assets/{fleet.asset_id}", json={"tags": None}, headers=acme.auth()
    )
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["errors"]] == [["body", "tags"]]
    cleared = await client.patch(
        f"/v1/signals/{fleet.signal_ids[0]}", json={"unit": None}, headers=acme.auth()
    )
    assert (cleared.status_code, cleared.json()["unit"]) == (200, None)


async def test_problem_errors_and_the_bucket_have_schemas(document: dict[str, Any]) -> None:
    errors = document["components"]["schemas"]["Problem"]["properties"]["errors"]
    items = next(branch for branch in errors["anyOf"] if branch.get("type") == "array")["items"]
    assert _resolve(document, items)["required"] == ["loc", "msg", "type"]
    for operation_id in ("signal_rollups", "asset_rollups"):
        parameters = _operations(document)[operation_id]["parameters"]
        bucket = next(p for p in parameters if p["name"] == "bucket")
        assert bucket["schema"]["pattern"] == BUCKET_PATTERN


async def test_every_operation_with_a_body_documents_413_and_every_503_a_problem(
    document: dict[str, Any],
) -> None:
    for operation_id, operation in _operations(document).items():
        if "requestBody" in operation:
            assert "413" in operation["responses"], operation_id
    ready = _operations(document)["readyz"]["responses"]["503"]["content"]
    assert "schema" in ready["application/problem+json"]
    metrics = _operations(document)["metrics"]["responses"]["200"]["content"]
    assert all("schema" in media for media in metrics.values())


async def test_a_delete_answers_204_without_a_content_type(
    client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    response = await client.delete(f"/v1/signals/{fleet.signal_ids[0]}", headers=acme.auth())
    assert response.status_code == 204
    assert "content-type" not in response.headers
    assert response.content == b""


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/v1/api-keys", "GET, HEAD, POST"),
        ("PUT", "/v1/assets", "GET, HEAD, POST"),
        ("POST", "/v1/assets/1", "GET, HEAD, PATCH, DELETE"),
        ("PUT", "/v1/assets/1/signals", "GET, HEAD, POST"),
        ("OPTIONS", "/v1/signals/1", "GET, HEAD, PATCH, DELETE"),
        ("DELETE", "/v1/retention", "GET, HEAD, PUT"),
        ("GET", "/v1/measurements", "POST"),
        ("PUT", "/healthz", "GET, HEAD"),
    ],
)
async def test_a_405_lists_every_method_of_the_resource(
    client: httpx.AsyncClient, acme: Tenant, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path, headers=acme.auth())
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["type"] == "urn:assetwatch:problem:method-not-allowed"


async def test_every_problem_has_an_assetwatch_type(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    answers = [
        await client.get("/nope"),
        await client.put("/healthz"),
        await client.get("/v1/assets"),
        await client.get("/v1/assets/999999", headers=acme.auth()),
        await client.get("/v1/assets?limit=0", headers=acme.auth()),
        await client.post(
            "/v1/assets",
            content=b"{}",
            headers={**acme.auth(), "content-type": "application/json", "content-length": "9" * 9},
        ),
    ]
    assert [a.status_code for a in answers] == [404, 405, 401, 404, 422, 413]
    for answer in answers:
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"].startswith("urn:assetwatch:problem:"), answer.json()


def _instants(document: dict[str, Any], schema: dict[str, Any], value: Any) -> list[str]:
    """Every value the document declares a date-time, walking `schema` along `value`."""
    schema = _resolve(document, schema)
    if value is None:
        return []
    if schema.get("format") == "date-time":
        return [value]
    found: list[str] = []
    for branch in schema.get("anyOf", []):
        found += _instants(document, branch, value)
    if isinstance(value, dict):
        for name, item in value.items():
            if name in schema.get("properties", {}):
                found += _instants(document, schema["properties"][name], item)
    if isinstance(value, list) and "items" in schema:
        for item in value:
            found += _instants(document, schema["items"], item)
    return found


async def test_every_instant_in_every_response_is_spelled_with_z(
    document: dict[str, Any], client: httpx.AsyncClient, acme: Tenant, fleet: Fleet
) -> None:
    """Walks the response schema of each operation that answers with instants."""
    sid, aid = fleet.signal_ids[1], fleet.asset_id
    points = [
        {"signal_id": sid, "ts": f"2026-11-22T08:0{i}:00+02:00", "value": i} for i in range(3)
    ]
    written = await client.post("/v1/measurements", json={"points": points}, headers=acme.auth())
    assert written.status_code == 200
    window = "start=2026-11-22T05:00:00Z&end=2026-11-22T07:00:00Z"
    calls = [
        ("get_asset", "GET", f"/v1/assets/{aid}", None),
        ("list_assets", "GET", "/v1/assets", None),
        ("list_signals", "GET", f"/v1/assets/{aid}/signals", None),
        ("get_signal", "GET", f"/v1/signals/{sid}", None),
        ("update_signal", "PATCH", f"/v1/signals/{sid}", {"description": "d"}),
        ("update_asset", "PATCH", f"/v1/assets/{aid}", {"kind": "k"}),
        ("read_measurements", "GET", f"/v1/signals/{sid}/measurements?{window}", None),
        ("signal_rollups", "GET", f"/v1/signals/{sid}/rollups?bucket=1m&{window}", None),
        ("asset_rollups", "GET", f"/v1/assets/{aid}/rollups?bucket=1m&{window}", None),
        ("latest_of_asset", "GET", f"/v1/assets/{aid}/latest", None),
        ("list_keys", "GET", "/v1/api-keys", None),
        ("create_key", "POST", "/v1/api-keys", {"name": "k", "role": "reader"}),
    ]
    operations = _operations(document)
    for operation_id, method, url, body in calls:
        response = await client.request(method, url, json=body, headers=acme.auth())
        assert response.status_code in (200, 201), (operation_id, response.text)
        status = str(response.status_code)
        schema = operations[operation_id]["responses"][status]["content"]["application/json"]
        instants = _instants(document, schema["schema"], response.json())
        assert instants, operation_id  # each of these answers with at least one instant
        for instant in instants:
            assert Z_INSTANT.match(instant), (operation_id, instant)
