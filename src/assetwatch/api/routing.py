"""The methods each path serves, as the OpenAPI document declares them.

Starlette's own 405 lists only the methods of the first route that matched the path, and each
method of a resource is a route of its own; the `Allow` header must list them all (RFC 9110).
"""

import re

from fastapi import FastAPI, Request
from starlette.routing import compile_path

# The order RFC 9110 lists them in.
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


MethodsByPath = tuple[tuple[re.Pattern[str], frozenset[str]], ...]


def _methods_by_path(app: FastAPI) -> MethodsByPath:
    """Each documented path's pattern and methods (a GET serves HEAD too), worked out at the
    first 405 and kept on the app, which holds the document they come from."""
    known: MethodsByPath | None = getattr(app.state, "methods_by_path", None)
    if known is not None:
        return known
    paths: dict[str, dict[str, object]] = app.openapi()["paths"]
    table = []
    for template, operations in paths.items():
        methods = {method.upper() for method in operations}
        if "GET" in methods:
            methods.add("HEAD")
        pattern, _, _ = compile_path(template)
        table.append((pattern, frozenset(methods)))
    known = tuple(table)
    app.state.methods_by_path = known
    return known


def allowed_methods(request: Request) -> list[str] | None:
    """Every method the document lists for the request's path; None for an undocumented path."""
    path = request.scope.get("path", "")
    for pattern, methods in _methods_by_path(request.app):
        if pattern.match(path):
            return [method for method in _METHOD_ORDER if method in methods]
    return None
