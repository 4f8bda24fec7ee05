"""Request dependencies: the unit of work and the authenticated caller.

`Uow` runs a use case's aggregates in one transaction; its hot-path statements (ingest, reads)
each run on a pooled connection in autocommit (db/unit_of_work.py).
"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

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


class _BearerCaller(HTTPBearer):
    """The caller, from `Authorization: Bearer <key>`, in one dependency: being an `HTTPBearer`
    it still declares the bearer scheme in OpenAPI, without a sub-dependency to solve on every
    request."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        scheme, credentials = get_authorization_scheme_param(request.headers.get("authorization"))
        token = credentials if credentials and scheme.lower() == "bearer" else None
        caller = await authenticate(await get_uow(request), await get_key_cache(request), token)
        request.state.organization_id = caller.organization_id  # for the access log
        return caller


get_caller = _BearerCaller(
    scheme_name="HTTPBearer",
    auto_error=False,
    description="an API key: `Authorization: Bearer aw_<prefix>_<secret>`",
)


Uow = Annotated[UnitOfWork, Depends(get_uow)]
Caller = Annotated[Principal, Depends(get_caller)]
Cache = Annotated[KeyCache, Depends(get_key_cache)]
