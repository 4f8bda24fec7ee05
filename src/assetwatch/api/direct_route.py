"""`DirectRoute`: an `APIRoute` that calls its endpoint without FastAPI's dependency solver.

FastAPI solves a route's parameters anew on every request: for each dependant it walks the
path, query, header, cookie and body parameters, checks whether each dependency is a
generator, builds cache keys, and so on. On the hot reads that machinery cost more than the
parameters themselves (about 0.04 ms of CPU a request, more than anything else assetwatch
adds to a bare handler; measured in-process against the benchmark's floor).

A `DirectRoute` is declared like any FastAPI route, so the OpenAPI document comes from the same
signature, but at run time its endpoint is called with:
- each path parameter validated by its own annotation (a 422 located at `["path", name]`, as
  FastAPI's);
- each `Annotated[..., Depends(dependency)]` parameter as `await dependency(request)`;
- the `Request` itself for a parameter annotated `Request`.
Anything else (query, body, header parameters, `yield` dependencies, sub-dependencies) is
refused when the route is declared: such a route belongs on FastAPI's own route class. The
endpoint must return a `Response`, and `app.dependency_overrides` does not reach it (tests
replace what the dependencies read, `app.state`, instead).
"""

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, get_origin, get_type_hints

from fastapi import Request, Response
from fastapi.params import Depends
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError

from assetwatch.api.problems import invalid_request

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


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
    def get_route_handler(self) -> Handler:
        endpoint = self.endpoint
        hints = get_type_hints(endpoint, include_extras=True)
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
