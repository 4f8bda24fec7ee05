"""Per-request plumbing: request id, SQL statement count, one access-log line."""

import logging
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assetwatch.observability import counting_statements

access_log = logging.getLogger("assetwatch.access")

REQUEST_ID_HEADER = b"x-request-id"
MAX_REQUEST_ID = 128


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and 0 < len(value) <= MAX_REQUEST_ID:
            return bytes(value).decode("latin-1")
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Echo or make an `X-Request-ID`, count SQL statements, log one line per request."""

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
                message = {**message, "headers": headers}
            await send(message)

        with counting_statements() as statements:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self._log(scope, request_id, status, started, statements.value)

    @staticmethod
    def _log(scope: Scope, request_id: str, status: int, started: float, statements: int) -> None:
        route: Any = scope.get("route")
        state = scope.get("state", {})
        access_log.info(
            "%s %s %s",
            scope["method"],
            getattr(route, "path", scope["path"]),
            status,
            extra={
                "request_id": request_id,
                "method": scope["method"],
                "route": getattr(route, "path", None),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "sql_statements": statements,
                "organization_id": state.get("organization_id"),
            },
        )
