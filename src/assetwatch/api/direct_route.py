"""`DirectRoute`: an `APIRoute` that calls its endpoint without FastAPI's dependency solver.

FastAPI solves every route's parameters anew on each request, which on the hot reads cost more
than the parameters themselves (NARRATIVE.md). A `DirectRoute` is declared like any FastAPI
route, so the OpenAPI document comes from the same signature, but its endpoint is called with:
- each path parameter validated by its own annotation (a 422 located at `["path", name]`, as
  FastAPI's);
- each `Annotated[..., Depends(dependency)]` parameter as `await dependency(request)`;
- the `Request` itself for a parameter annotated `Request`.
Whatever else a route asks for is refused with a `TypeError` naming its path, never skipped:
other parameters, `yield` or sub-dependencies, an endpoint not annotated `-> Response`, and the
`dependencies=[...]` of the route, its router, an `include_router` or the app (a guard goes on
the endpoint as a parameter instead). Route and router dependencies are refused when the route
is declared; an inclusion's when FastAPI builds the included route (its first request or the
OpenAPI document: FastAPI hands them over no sooner). `put_first` refuses to splice routes past
a router's dependencies. `app.dependency_overrides` does not reach these endpoints and cannot be
checked (tests replace what the dependencies read, `app.state`); `status_code`, `response_class`
and `response_model` only document the route, as for any endpoint that returns a `Response`.
"""

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, get_origin, get_type_hints

from fastapi import APIRouter, Request, Response
from fastapi.params import Depends
from fastapi.routing import APIRoute, _effective_route_context_var
from pydantic import TypeAdapter, ValidationError
from starlette.routing import BaseRoute

from assetwatch.api.problems import invalid_request

# The FastAPI internals this module relies on, checked against FASTAPI_VERSION (pyproject pins
# that minor version; test_direct_route.py's test_the_fastapi_internals_relied_on_still_hold):
# - `APIRoute.__init__` sets `param_convertors` and `dependencies` (the router's and the
#   route's, merged by `APIRouter.add_api_route`), then builds `self.app` from
#   `self.get_route_handler()`: overriding that one method replaces the per-request pipeline.
# - `include_router` copies no route: FastAPI builds each included route later (its first
#   request, or the OpenAPI document) by calling `get_route_handler()` again with
#   `fastapi.routing._effective_route_context_var` set to the inclusion's view of the route,
#   whose `dependencies` add the include's, its parent router's and the app's.
# - A router's `routes` is a plain list, matched in order (`put_first` splices into it).
FASTAPI_VERSION = "0.165"

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _names(dependencies: Sequence[Depends]) -> str:
    return ", ".join(
        getattr(d.dependency, "__qualname__", repr(d.dependency)) for d in dependencies
    )


def _dependency_of(annotation: Any) -> Callable[[Request], Awaitable[Any]] | None:
    if get_origin(annotation) is not None and hasattr(annotation, "__metadata__"):
        for meta in annotation.__metadata__:
            if isinstance(meta, Depends) and meta.dependency is not None:
                dependency: Callable[[Request], Awaitable[Any]] = meta.dependency
                return dependency
    return None


def _check_request_only(path: str, dependency: Callable[..., Any]) -> None:
    """A dependency DirectRoute can run: awaited with the request as its one argument."""
    if inspect.isasyncgenfunction(dependency) or inspect.isgeneratorfunction(dependency):
        raise TypeError(f"{path}: DirectRoute cannot run yield dependencies")
    if len(inspect.signature(dependency).parameters) != 1:
        raise TypeError(f"{path}: DirectRoute cannot supply the parameters of {dependency!r}")


class DirectRoute(APIRoute):
    def _refuse_dependencies(self) -> None:
        """Refuse the route's, router's, include's and app's dependencies: they would not run."""
        included = _effective_route_context_var.get()
        if included is not None and included.original_route is self:
            path, dependencies = included.path, included.dependencies
        else:
            path, dependencies = self.path, self.dependencies
        if dependencies:
            raise TypeError(
                f"{path}: DirectRoute does not run the dependencies of a route, router, include"
                f" or app ({_names(dependencies)}); make each an endpoint parameter,"
                " Annotated[..., Depends(...)], or use FastAPI's APIRoute"
            )

    def get_route_handler(self) -> Handler:
        self._refuse_dependencies()
        endpoint = self.endpoint
        hints = get_type_hints(endpoint, include_extras=True)
        returns = hints.get("return")
        if not (isinstance(returns, type) and issubclass(returns, Response)):
            raise TypeError(
                f"{self.path}: DirectRoute sends what its endpoint returns, unserialized:"
                f" annotate the endpoint to return a Response, not {returns!r}"
            )
        path_names = set(self.param_convertors)
        requests: list[str] = []
        dependencies: list[tuple[str, Callable[[Request], Awaitable[Any]]]] = []
        path_params: list[tuple[str, TypeAdapter[Any]]] = []
        for name in inspect.signature(endpoint).parameters:
            annotation = hints[name]
            dependency = _dependency_of(annotation)
            if annotation is Request:
                requests.append(name)
            elif dependency is not None:
                _check_request_only(self.path, dependency)
                dependencies.append((name, dependency))
            elif name in path_names:
                path_params.append((name, TypeAdapter(annotation)))
            else:
                raise TypeError(f"{self.path}: DirectRoute cannot supply parameter {name!r}")

        async def handler(request: Request) -> Response:
            values: dict[str, Any] = {}
            raw = request.path_params
            for name, adapter in path_params:
                try:
                    values[name] = adapter.validate_python(raw[name])
                except ValidationError as error:
                    raise invalid_request(error, "path", name) from error
            for name, dependency in dependencies:
                values[name] = await dependency(request)
            for name in requests:
                values[name] = request
            response: Response = await endpoint(**values)
            return response

        return handler


def put_first(router: APIRouter, routes: Sequence[BaseRoute]) -> None:
    """Put `routes` ahead of `router`'s own, outside any `include_router`.

    Refused if `router` has dependencies: routes put straight onto its list would skip them.
    """
    if router.dependencies:
        paths = ", ".join(str(getattr(route, "path", route)) for route in routes)
        raise TypeError(
            f"{paths}: put first on a router with dependencies ({_names(router.dependencies)}),"
            " which routes put there directly would skip"
        )
    router.routes[:0] = routes
