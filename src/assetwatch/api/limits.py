"""Request body cap: refuse early on Content-Length, and count the bytes of chunked bodies.

A body that grows past the cap while a route reads it raises `BodyTooLarge`, an HTTP 413 that
the problem handlers answer like any other error.
"""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assetwatch.api.problems import problem


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


# No route reads a body sent with these: they pass untouched, sparing the hot reads the header
# scan and the receive wrapper.
_BODILESS = frozenset({"GET", "HEAD"})


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODILESS:
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                too_large = BodyTooLarge(self.max_bytes)
                await problem(413, str(too_large.detail))(scope, receive, send)
                return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)
