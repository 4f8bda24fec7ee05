"""A minimal HTTP/1.1 keep-alive client for latency measurements on 127.0.0.1.

httpx spends about a millisecond of the client's own CPU on each request, as much as a fast read
costs the server; this one writes the request and reads `Content-Length` bytes back, nothing
more, so a measured latency is mostly the server's.
"""

import asyncio
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

import orjson


class HttpClient:
    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self._auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Self:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._writer is not None:
            self._writer.close()

    async def request(self, method: str, target: str, body: bytes = b"") -> tuple[int, bytes]:
        assert self._reader is not None
        assert self._writer is not None
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: {self.host}\r\n{self._auth}"
            f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n\r\n"
        )
        self._writer.write(head.encode() + body)
        status_line = await self._reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self._reader.readexactly(length)


async def get_ok(client: HttpClient, path: str, params: dict[str, Any]) -> bytes:
    target = f"{path}?{urlencode(params, doseq=True)}" if params else path
    status, body = await client.request("GET", target)
    if status != 200:
        raise RuntimeError(f"GET {target}: {status} {body[:300]!r}")
    return body


async def post_ok(client: HttpClient, path: str, content: Any) -> bytes:
    status, body = await client.request("POST", path, orjson.dumps(content))
    if status != 200:
        raise RuntimeError(f"POST {path}: {status} {body[:300]!r}")
    return body
