"""Documented error responses, shared by the routers' OpenAPI descriptions."""

from typing import Any

from assetwatch.api.schemas import Problem

_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


Responses = dict[int | str, dict[str, Any]]


def _problem(status: int, description: str) -> Responses:
    return {status: {"model": Problem, "description": description, "content": _CONTENT}}


UNAUTHENTICATED = _problem(401, "missing, unknown or revoked API key")
FORBIDDEN = _problem(403, "the key's role is too low for this action")
NOT_FOUND = _problem(404, "no such resource in the caller's organisation")
CONFLICT = _problem(409, "a resource with that name (in any case) already exists")
SELF_REVOKE = _problem(409, "the key revokes itself: use another admin key of the organisation")
INVALID = _problem(422, "the request is not valid; `errors` names each problem")
TOO_LARGE = _problem(413, "the batch or body is larger than the configured limit")
UNAVAILABLE = _problem(503, "the database is unreachable or its schema is not at this build's head")

AUTHENTICATED: Responses = {**UNAUTHENTICATED, **FORBIDDEN, **INVALID}
