"""Request dependencies: the runtime's ports and the authenticated caller.

Everything comes from the `Runtime` the lifespan built (`assetwatch.bootstrap`). `Uow` runs a
use case's aggregates in one transaction; the hot telemetry routes take the caller and the
telemetry store through one dependency, `Authorized`: each dependency FastAPI solves adds to
every request's CPU.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import Scope

from assetwatch.bootstrap import Runtime
from assetwatch.services.auth import KeyCache, Principal, authenticate
from assetwatch.services.ports import TelemetryStore, UnitOfWork


def runtime_of(request: Request) -> Runtime:
    """The runtime the app's lifespan opened."""
    runtime: Runtime = request.app.state.runtime
    return runtime


# `async def` although they await nothing: FastAPI runs a plain `def` dependency in a thread pool.
async def get_uow(request: Request) -> UnitOfWork:
    return runtime_of(request).unit_of_work()


async def get_key_cache(request: Request) -> KeyCache:
    return runtime_of(request).key_cache


@dataclass(frozen=True, slots=True)
class _Authorized:
    """Who is calling, and the telemetry store the request acts on (see `Authorized`)."""

    caller: Principal
    telemetry: TelemetryStore


def _bearer_token(scope: Scope) -> str | None:
    """The token of the first `Authorization: Bearer` header (read from the raw headers)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, credentials = get_authorization_scheme_param(value.decode("latin-1"))
            return credentials if credentials and scheme.lower() == "bearer" else None
    return None


class _BearerKey(HTTPBearer):
    """The caller, from `Authorization: Bearer <key>`, in one dependency: being an `HTTPBearer`
    it still declares the bearer scheme in OpenAPI, without a sub-dependency to solve on every
    request. With `with_telemetry`, the caller comes with the telemetry store."""

    def __init__(self, *, with_telemetry: bool) -> None:
        super().__init__(
            scheme_name="HTTPBearer",
            auto_error=False,
            description="an API key: `Authorization: Bearer aw_<prefix>_<secret>`",
        )
        self.with_telemetry = with_telemetry

    async def __call__(self, request: Request) -> Principal | _Authorized:  # type: ignore[override]
        runtime = runtime_of(request)
        token = _bearer_token(request.scope)
        caller = await authenticate(runtime.unit_of_work(), runtime.key_cache, token)
        request.scope.setdefault("state", {})["organization_id"] = caller.organization_id  # log
        return _Authorized(caller, runtime.telemetry) if self.with_telemetry else caller


Uow = Annotated[UnitOfWork, Depends(get_uow)]
Caller = Annotated[Principal, Depends(_BearerKey(with_telemetry=False))]
Authorized = Annotated[_Authorized, Depends(_BearerKey(with_telemetry=True))]
Cache = Annotated[KeyCache, Depends(get_key_cache)]
