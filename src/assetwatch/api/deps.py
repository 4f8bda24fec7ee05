"""Request dependencies: the unit of work and the authenticated caller.

`Uow` runs a use case's aggregates in one transaction; its hot-path statements (ingest, reads)
each run on a pooled connection in autocommit (db/unit_of_work.py). The hot telemetry routes
take both through one dependency, `Authorized`: each dependency FastAPI solves adds to every
request's CPU, and the caller's lookup needs a unit of work anyway.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import Scope

from assetwatch.db.unit_of_work import SqlUnitOfWork
from assetwatch.services.auth import KeyCache, Principal, authenticate
from assetwatch.services.ports import UnitOfWork


# `async def` although they await nothing: FastAPI runs a plain `def` dependency in a thread pool.
async def get_uow(request: Request) -> UnitOfWork:
    state = request.app.state
    return SqlUnitOfWork(state.session_factory, state.connections)


async def get_key_cache(request: Request) -> KeyCache:
    cache: KeyCache = request.app.state.key_cache
    return cache


@dataclass(frozen=True, slots=True)
class _Authorized:
    """Who is calling, and the unit of work the request acts through (see `Authorized`)."""

    caller: Principal
    uow: UnitOfWork


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
    request. With `with_uow`, the caller comes with the unit of work it was looked up through."""

    def __init__(self, *, with_uow: bool) -> None:
        super().__init__(
            scheme_name="HTTPBearer",
            auto_error=False,
            description="an API key: `Authorization: Bearer aw_<prefix>_<secret>`",
        )
        self.with_uow = with_uow

    async def __call__(self, request: Request) -> Principal | _Authorized:  # type: ignore[override]
        uow = await get_uow(request)
        caller = await authenticate(uow, await get_key_cache(request), _bearer_token(request.scope))
        request.scope.setdefault("state", {})["organization_id"] = caller.organization_id  # log
        return _Authorized(caller, uow) if self.with_uow else caller


Uow = Annotated[UnitOfWork, Depends(get_uow)]
Caller = Annotated[Principal, Depends(_BearerKey(with_uow=False))]
Authorized = Annotated[_Authorized, Depends(_BearerKey(with_uow=True))]
Cache = Annotated[KeyCache, Depends(get_key_cache)]
