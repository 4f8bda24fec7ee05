"""Admin use cases on an organisation's API keys."""

from assetwatch.domain import ApiKey, Conflict, IssuedKey, NotFound, Role
from assetwatch.domain.api_keys import issue_key
from assetwatch.domain.types import utcnow
from assetwatch.services.auth import KeyCache, Principal
from assetwatch.services.pagination import Page, after_id, page_by_id
from assetwatch.services.ports import UnitOfWork


async def create_key(uow: UnitOfWork, caller: Principal, name: str, role: Role) -> IssuedKey:
    caller.require(Role.admin)
    issued = issue_key(caller.organization_id, name, role)
    async with uow:
        await uow.api_keys.add(issued.key)
        await uow.commit()
    return issued


async def list_keys(
    uow: UnitOfWork, caller: Principal, *, cursor: str | None, limit: int
) -> Page[ApiKey]:
    caller.require(Role.admin)
    async with uow:
        rows = await uow.api_keys.list(
            caller.organization_id, after_id=after_id(cursor), limit=limit + 1
        )
    return page_by_id(rows, limit, lambda k: k.id)


async def revoke_key(uow: UnitOfWork, caller: Principal, key_id: int, cache: KeyCache) -> ApiKey:
    """Revoke a key (idempotent: revoking twice keeps the first time).

    A key cannot revoke itself: only admin keys revoke, so the organisation always keeps the
    admin key that made the call, and no client can lock its organisation out by mistake.
    """
    caller.require(Role.admin)
    if key_id == caller.key_id:
        raise Conflict(
            "a key cannot revoke itself: revoke it with another admin key of the organisation"
        )
    async with uow:
        key = await uow.api_keys.get(caller.organization_id, key_id)
        if key is None:
            raise NotFound(f"no API key {key_id}")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            await uow.commit()
    cache.evict(key.prefix)
    return key
