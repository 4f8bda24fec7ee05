"""Per-request plumbing: request id, security headers, SQL statement count, metrics, access log."""

import logging
import time
import uuid
from typing import Any

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


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and 0 < len(value) <= MAX_REQUEST_ID:
            return bytes(value).decode("latin-1")
    return uuid.uuid4().hex


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
        REQUEST_DURATION.labels(template, method, str(status)).observe(duration)
        STATEMENTS_PER_REQUEST.labels(template).observe(statements)
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
