"""RFC 9457 `application/problem+json` for every error the API returns."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from assetwatch.api.routing import allowed_methods
from assetwatch.domain import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:assetwatch:problem:"

_DOMAIN_STATUS: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "not-found"),
    Conflict: (409, "conflict"),
    AuthenticationFailed: (401, "unauthenticated"),
    PermissionDenied: (403, "forbidden"),
    InvalidInput: (422, "invalid-input"),
}


# Statuses whose phrase changed across RFCs (and Python versions): a problem type must not.
_HTTP_SLUG = {413: "too-large"}


def http_problem_type(status: int) -> str:
    """The problem type of an HTTP-level error: `urn:assetwatch:problem:` and the status's
    phrase in kebab case (`not-found`, `method-not-allowed`), or a fixed slug (`too-large`)."""
    slug = _HTTP_SLUG.get(status) or HTTPStatus(status).phrase.lower().replace(" ", "-")
    return PROBLEM_BASE + slug


def problem(
    status: int,
    detail: str | None = None,
    *,
    type_: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem response; its type defaults to the one of the HTTP status (`http_problem_type`)."""
    type_ = type_ or http_problem_type(status)
    body: dict[str, Any] = {"type": type_, "title": HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def invalid_request(error: ValidationError, *where: str) -> RequestValidationError:
    """A validation error as FastAPI's 422 for a part of the request validated by hand
    (`where`: "body", "query", or "path" and the parameter's name), each error located as
    FastAPI would: `[*where, field, …]`."""
    return RequestValidationError(
        [{**e, "loc": (*where, *e["loc"])} for e in error.errors(include_input=False)]
    )


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors without `input`/`ctx`: they may be huge, secret or not JSON-safe."""
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


# Methods whose input is the query string: a rule's field on any other request is in its body.
_QUERY_METHODS = frozenset({"GET", "HEAD", "DELETE"})


def located(errors: list[FieldError], method: str) -> list[dict[str, Any]]:
    """A use case's field errors as HTTP locations, the way FastAPI locates its own: `("bucket",)`
    on a GET is `["query", "bucket"]`, `("points", 3, "ts")` on a POST `["body", "points", 3,
    "ts"]`. The domain names the field; only here is it known where the request carried it."""
    source = "query" if method in _QUERY_METHODS else "body"
    return [{"loc": [source, *e.field], "msg": e.msg, "type": e.type} for e in errors]


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status, slug = next(
        (v for cls, v in _DOMAIN_STATUS.items() if isinstance(exc, cls)), (400, "bad-request")
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    errors = located(exc.errors, request.method) if isinstance(exc, InvalidInput) else None
    return problem(status, exc.detail, type_=PROBLEM_BASE + slug, errors=errors, headers=headers)


def _validation_problem(errors: list[dict[str, Any]]) -> JSONResponse:
    return problem(
        422, "the request is not valid", type_=PROBLEM_BASE + "validation-error", errors=errors
    )


# A body FastAPI cannot read as JSON for a reason other than its syntax (not UTF-8, nested too
# deep for the parser) gets a bare 400 from it: the same mistake as a body that is not JSON,
# so it gets the same documented 422.
_NOT_JSON = [{"loc": ["body"], "msg": "the body could not be read as JSON", "type": "json_invalid"}]


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:  # raised while parsing the body
        return _validation_problem(_NOT_JSON)
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and (methods := allowed_methods(request)) is not None:
        headers["Allow"] = ", ".join(methods)
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem(exc.status_code, detail, headers=headers or None)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _validation_problem(field_errors(exc))


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """Lost connections, pool exhaustion, statement timeouts: the caller may retry shortly."""
    cause = exc.__cause__ or exc  # the driver's own words, for on-call
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, cause)
    return problem(
        503,
        "the database is unavailable; retry shortly",
        type_=PROBLEM_BASE + "database-unavailable",
        headers={"Retry-After": "1"},
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "an unexpected error occurred; it has been logged")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    # More specific than DomainError, so it wins (handlers are looked up along the class's MRO).
    app.add_exception_handler(StoreUnavailable, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
