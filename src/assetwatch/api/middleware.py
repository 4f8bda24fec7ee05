"""Per-request plumbing: request id, security headers, SQL statement count, metrics, access log.

It runs on every request, so it does no work it can avoid: request ids from a per-process
random prefix and a counter (no system call each), the metric children looked up once per
(route, method, status), the access log's fields built only when the line is written.
"""

import itertools
import logging
import secrets
import time
from typing import Any

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assetwatch.api.metrics import REQUEST_DURATION, STATEMENTS_PER_REQUEST
from assetwatch.observability import counting_statements

access_log = logging.getLogger("assetwatch.access")

REQUEST_ID_HEADER = b"x-request-id"
MAX_REQUEST_ID = 128
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
UNMATCHED = "unmatched"  # 404s must not create a metric series per path
# 32 hex digits like a uuid4's: 16 random ones per process, then a count. Unique across
# processes and restarts as long as two processes never draw the same 64 random bits.
_ID_PREFIX = secrets.token_hex(8)
_id_counter = itertools.count()


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and 0 < len(value) <= MAX_REQUEST_ID:
            return bytes(value).decode("latin-1")
    return f"{_ID_PREFIX}{next(_id_counter):016x}"


_children: dict[tuple[str, str, int], tuple[Histogram, Histogram]] = {}


def _metrics_of(route: str, method: str, status: int) -> tuple[Histogram, Histogram]:
    """The duration and statement-count series of one (route, method, status), made once."""
    key = (route, method, status)
    children = _children.get(key)
    if children is None:
        children = _children[key] = (
            REQUEST_DURATION.labels(route, method, str(status)),
            STATEMENTS_PER_REQUEST.labels(route),
        )
    return children


class RequestContextMiddleware:
    """Echo or make an `X-Request-ID`, add security headers, count SQL statements, record
    metrics and log one line per request. It never sees the body or the Authorization header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode("latin-1")))
                headers.extend(SECURITY_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        with counting_statements() as statements:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self._log(scope, request_id, status, started, statements.value)

    @staticmethod
    def _log(scope: Scope, request_id: str, status: int, started: float, statements: int) -> None:
        duration = time.perf_counter() - started
        route: Any = scope.get("route")
        template = getattr(route, "path", UNMATCHED)
        method = scope["method"]
        duration_series, statements_series = _metrics_of(template, method, status)
        duration_series.observe(duration)
        statements_series.observe(statements)
        if not access_log.isEnabledFor(logging.INFO):
            return
        access_log.info(
            "%s %s %s",
            method,
            template,
            status,
            extra={
                "request_id": request_id,
                "method": method,
                "route": template,
                "status": status,
                "duration_ms": round(duration * 1000, 2),
                "sql_statements": statements,
                "organization_id": scope.get("state", {}).get("organization_id"),
            },
        )
