"""The hot routes' `DirectRoute` (api/direct_route.py) answers as FastAPI's own routes do."""

import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import fastapi
import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.routing import APIRoute, _effective_route_context_var

from assetwatch.api.direct_route import FASTAPI_VERSION, DirectRoute, put_first
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


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


async def _forbid(request: Request) -> None:
    raise HTTPException(403)


async def _ok(thing_id: Id) -> Response:
    return Response(str(thing_id))


THINGS = "/things/{thing_id}"
GUARD = [Depends(_forbid)]
# The TypeError names the path and the dependency it would have skipped.
REFUSED = r"/things/\{thing_id\}: DirectRoute does not run .*\(_forbid\)"


def test_route_dependencies_are_refused_when_the_route_is_declared() -> None:
    router = APIRouter(route_class=DirectRoute)
    with pytest.raises(TypeError, match=REFUSED):
        router.get(THINGS, dependencies=GUARD)(_ok)


def test_router_dependencies_are_refused_when_a_route_is_declared_on_it() -> None:
    router = APIRouter(route_class=DirectRoute, dependencies=GUARD)
    with pytest.raises(TypeError, match=REFUSED):
        router.get(THINGS)(_ok)


def test_app_dependencies_are_refused_when_a_route_is_declared_on_the_app() -> None:
    app = FastAPI(dependencies=GUARD)
    with pytest.raises(TypeError, match=REFUSED):
        app.router.add_api_route(THINGS, _ok, route_class_override=DirectRoute)


def _include(parent: str, router: APIRouter) -> FastAPI:
    """`router` included under /v1 in an app, with dependencies from `parent`."""
    app = FastAPI(dependencies=GUARD if parent == "app" else None)
    if parent == "including router":
        outer = APIRouter(dependencies=GUARD)
        outer.include_router(router)
        app.include_router(outer, prefix="/v1")
    else:
        app.include_router(
            router, prefix="/v1", dependencies=GUARD if parent == "include" else None
        )
    return app


@pytest.mark.parametrize("parent", ["include", "including router", "app"])
async def test_dependencies_an_inclusion_adds_are_refused_when_fastapi_builds_the_route(
    parent: str,
) -> None:
    # FastAPI 0.165's include_router copies no route: it builds the included route, with the
    # inclusion's dependencies, for its first request or the OpenAPI document. Both refuse.
    router = APIRouter(route_class=DirectRoute)
    router.get(THINGS)(_ok)
    app = _include(parent, router)
    with pytest.raises(TypeError, match="/v1" + REFUSED):
        app.openapi()
    with pytest.raises(TypeError, match="/v1" + REFUSED):
        await _get(app, "/v1/things/1")


async def test_putting_routes_first_past_a_routers_dependencies_is_refused() -> None:
    router = APIRouter(route_class=DirectRoute)
    router.get(THINGS)(_ok)
    app = FastAPI(dependencies=GUARD)
    before = list(app.router.routes)
    with pytest.raises(TypeError, match=r"/things/\{thing_id\}: .*\(_forbid\)"):
        put_first(app.router, router.routes)
    assert app.router.routes == before

    unguarded = FastAPI()
    put_first(unguarded.router, router.routes)
    assert unguarded.router.routes[0] is router.routes[0]
    assert (await _get(unguarded, "/things/7")).text == "7"


@pytest.mark.parametrize("source", ["route", "router", "include", "including router", "app"])
async def test_the_same_guard_runs_on_fastapis_own_route(source: str) -> None:
    """The contrast: FastAPI's APIRoute runs a guard from each source DirectRoute refuses."""
    router = APIRouter(dependencies=GUARD if source == "router" else None)
    router.get(THINGS, dependencies=GUARD if source == "route" else None)(_ok)
    assert (await _get(_include(source, router), "/v1/things/1")).status_code == 403


async def test_a_guard_as_an_endpoint_parameter_runs_on_a_direct_route() -> None:
    async def guarded(thing_id: Id, _: Annotated[None, Depends(_forbid)]) -> Response:
        return Response(str(thing_id))

    router = APIRouter(route_class=DirectRoute)
    router.get(THINGS)(guarded)
    router.get("/open/{thing_id}")(_ok)
    app = _include("none", router)  # included without dependencies: built, and run
    assert (await _get(app, "/v1/things/1")).status_code == 403
    assert (await _get(app, "/v1/open/5")).text == "5"


async def _returns_a_dict(thing_id: Id) -> dict[str, int]:
    return {"thing_id": thing_id}


def test_an_endpoint_not_returning_a_response_is_refused_when_declared() -> None:
    router = APIRouter(route_class=DirectRoute)
    with pytest.raises(TypeError, match="annotate the endpoint to return a Response"):
        router.get(THINGS, response_model=dict[str, int])(_returns_a_dict)


async def _first(request: Request) -> None:
    pass


async def _second(request: Request) -> None:
    pass


async def _third(request: Request) -> None:
    pass


async def test_the_fastapi_internals_relied_on_still_hold() -> None:
    """What api/direct_route.py relies on in FastAPI (listed there): fails loudly on an upgrade."""
    major, minor = FASTAPI_VERSION.split(".")
    assert fastapi.__version__.startswith(f"{FASTAPI_VERSION}."), fastapi.__version__
    pyproject = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text())
    pin = f"fastapi>={FASTAPI_VERSION},<{major}.{int(minor) + 1}"
    assert pin in pyproject["project"]["dependencies"]

    built: list[tuple[Any, set[str], list[Any]]] = []

    class Recording(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
            included = _effective_route_context_var.get()
            if included is not None:
                assert included.original_route is self
            seen = included or self
            built.append((included, set(self.param_convertors), seen.dependencies))

            async def handler(request: Request) -> Response:
                return Response(f"recorded {request.path_params['thing_id']}")

            return handler

    # APIRoute.__init__ builds self.app from get_route_handler(), once, after setting
    # param_convertors and the router's and route's dependencies.
    router = APIRouter(route_class=Recording, dependencies=[Depends(_first)])
    router.add_api_route(THINGS, _ok, dependencies=[Depends(_second)])
    assert [(i, p, [d.dependency for d in ds]) for i, p, ds in built] == [
        (None, {"thing_id"}, [_first, _second])
    ]
    # include_router builds nothing yet; the first request builds the route again, with the
    # inclusion's view (path, dependencies) in _effective_route_context_var.
    app = FastAPI()
    app.include_router(router, prefix="/v1", dependencies=[Depends(_third)])
    assert len(built) == 1
    assert (await _get(app, "/v1/things/3")).text == "recorded 3"
    included, _, dependencies = built[1]
    assert included.path == "/v1/things/{thing_id}"
    assert [d.dependency for d in dependencies] == [_third, _first, _second]
    # A router's routes are a list matched in order: a route spliced in first runs its own app.
    put_first(app.router, router.routes)
    assert (await _get(app, "/things/4")).text == "recorded 4"
