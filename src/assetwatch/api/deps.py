"""Request dependencies: the unit of work and the authenticated caller.

`Uow` runs a use case's aggregates in one transaction; its hot-path statements (ingest, reads)
each run on a pooled connection in autocommit (db/unit_of_work.py).
"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assetwatch.db.unit_of_work import SqlUnitOfWork
from assetwatch.services.auth import KeyCache, Principal, authenticate
from assetwatch.services.ports import UnitOfWork

_bearer = HTTPBearer(
    auto_error=False, description="an API key: `Authorization: Bearer aw_<prefix>_<secret>`"
)


# `async def` although they await nothing: FastAPI runs a plain `def` dependency in a thread pool.
async def get_uow(request: Request) -> UnitOfWork:
    state = request.app.state
    return SqlUnitOfWork(state.session_factory, state.connections)


async def get_key_cache(request: Request) -> KeyCache:
    cache: KeyCache = request.app.state.key_cache
    return cache


async def get_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = credentials.credentials if credentials else None
    uow = await get_uow(request)
    caller = await authenticate(uow, await get_key_cache(request), token)
    request.state.organization_id = caller.organization_id  # for the access log
    return caller


Uow = Annotated[UnitOfWork, Depends(get_uow)]
Caller = Annotated[Principal, Depends(get_caller)]
Cache = Annotated[KeyCache, Depends(get_key_cache)]
