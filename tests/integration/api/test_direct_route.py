"""The hot routes' `DirectRoute` (api/direct_route.py) answers as FastAPI's own routes do."""

from collections.abc import Awaitable, Callable
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response

from assetwatch.api.direct_route import DirectRoute
from assetwatch.api.params import Id

from .conftest import Tenant

pytestmark = pytest.mark.api


@pytest.mark.parametrize("bad_id", ["0", "-3", "x", "1.5", str(2**63)])
async def test_a_bad_path_id_is_the_same_422_as_on_fastapis_routes(
    client: httpx.AsyncClient, acme: Tenant, bad_id: str
) -> None:
    direct = await client.get(f"/v1/signals/{bad_id}/measurements", headers=acme.auth())
    fastapi_own = await client.get(f"/v1/signals/{bad_id}", headers=acme.auth())
    assert direct.status_code == fastapi_own.status_code == 422
    assert direct.headers["content-type"] == fastapi_own.headers["content-type"]
    assert direct.json() == fastapi_own.json()
    assert direct.json()["errors"][0]["loc"] == ["path", "signal_id"]


async def test_the_caller_is_authenticated_before_the_endpoint_runs(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/v1/signals/1/measurements", "/v1/assets/1/latest"):
        response = await client.get(path)
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"


async def _dependency(request: Request) -> str:
    return request.url.path


async def _with_a_query_parameter(q: Annotated[int, Query()]) -> Response:
    return Response(str(q))


async def _with_a_parameter_not_in_the_path(thing_id: Id, extra: int) -> Response:
    return Response(str(extra))


async def _needs_more_than_the_request(request: Request, limit: int) -> int:
    return limit


async def _with_a_dependency_of_its_own_parameters(
    limit: Annotated[int, Depends(_needs_more_than_the_request)],
) -> Response:
    return Response(str(limit))


@pytest.mark.parametrize(
    "endpoint",
    [
        _with_a_query_parameter,
        _with_a_parameter_not_in_the_path,
        _with_a_dependency_of_its_own_parameters,
    ],
)
def test_a_parameter_it_cannot_supply_is_refused_when_the_route_is_declared(
    endpoint: Callable[..., Awaitable[Response]],
) -> None:
    router = APIRouter(route_class=DirectRoute)
    with pytest.raises(TypeError, match="cannot supply"):
        router.add_api_route("/things/{thing_id}", endpoint, methods=["GET"])


async def test_path_parameters_dependencies_and_the_request_are_supplied() -> None:
    async def endpoint(
        thing_id: Id, seen: Annotated[str, Depends(_dependency)], request: Request
    ) -> Response:
        return Response(f"{thing_id} {seen} {request.method}")

    app = FastAPI()
    app.router.add_api_route("/things/{thing_id}", endpoint, route_class_override=DirectRoute)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/things/7")).text == "7 /things/7 GET"
