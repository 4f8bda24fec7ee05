"""/v1/api-keys: an organisation's keys (admin only)."""

from fastapi import APIRouter, status

from assetwatch.api import responses
from assetwatch.api.deps import Cache, Caller, Uow
from assetwatch.api.params import Cursor, Id, Limit
from assetwatch.api.schemas import KeyCreate, KeyCreated, KeyOut, Page
from assetwatch.services import api_keys
from assetwatch.services.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"], responses=responses.AUTHENTICATED)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=KeyCreated,
    summary="Create a key (the token is returned once, never again)",
)
async def create_key(body: KeyCreate, caller: Caller, uow: Uow) -> KeyCreated:
    issued = await api_keys.create_key(uow, caller, body.name, body.role)
    return KeyCreated(**KeyOut.model_validate(issued.key).model_dump(), token=issued.token)


@router.get("", response_model=Page[KeyOut], summary="List the organisation's keys")
async def list_keys(
    caller: Caller, uow: Uow, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> Page[KeyOut]:
    page = await api_keys.list_keys(uow, caller, cursor=cursor, limit=limit)
    return Page(items=[KeyOut.model_validate(k) for k in page.items], next_cursor=page.next_cursor)


@router.delete(
    "/{key_id}",
    response_model=KeyOut,
    responses={**responses.NOT_FOUND, **responses.SELF_REVOKE},
    summary="Revoke a key (effective within 5 s everywhere; a key cannot revoke itself)",
)
async def revoke_key(key_id: Id, caller: Caller, uow: Uow, cache: Cache) -> KeyOut:
    return KeyOut.model_validate(await api_keys.revoke_key(uow, caller, key_id, cache))
