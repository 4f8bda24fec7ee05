"""Who is calling: bearer tokens → a principal (organisation + role), with a short-lived cache.

The cache holds keys by prefix for at most `ttl` seconds (≤ 5 s by settings), so a warm request
spends no SQL on authentication, and a revocation takes effect everywhere within the TTL (at once
in the process that revoked it).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from assetwatch.domain import ApiKey, AuthenticationFailed, PermissionDenied, Role
from assetwatch.domain.api_keys import split_token
from assetwatch.services.ports import UnitOfWork

MAX_CACHED_KEYS = 10_000


@dataclass(frozen=True, slots=True)
class Principal:
    organization_id: int
    key_id: int
    role: Role

    def require(self, role: Role) -> None:
        if not self.role.allows(role):
            raise PermissionDenied(f"this action needs the {role.value} role")


class KeyCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, ApiKey]] = {}

    def get(self, prefix: str) -> ApiKey | None:
        entry = self._entries.get(prefix)
        if entry is None:
            return None
        expires, key = entry
        if self._clock() >= expires:
            del self._entries[prefix]
            return None
        return key

    def put(self, key: ApiKey) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= MAX_CACHED_KEYS:
            self._entries.clear()  # rare; bounded memory matters more than a few misses
        self._entries[key.prefix] = (self._clock() + self.ttl, key)

    def evict(self, prefix: str) -> None:
        self._entries.pop(prefix, None)


_UNAUTHENTICATED = "a valid API key is required: Authorization: Bearer aw_<prefix>_<secret>"


async def authenticate(uow: UnitOfWork, cache: KeyCache, token: str | None) -> Principal:
    parts = split_token(token) if token else None
    if parts is None:
        raise AuthenticationFailed(_UNAUTHENTICATED)
    prefix, secret = parts
    key = cache.get(prefix)
    if key is None:
        async with uow:
            key = await uow.api_keys.get_by_prefix(prefix)
        if key is not None:
            cache.put(key)
    if key is None or key.id is None or not key.is_active or not key.matches(secret):
        raise AuthenticationFailed(_UNAUTHENTICATED)
    return Principal(organization_id=key.organization_id, key_id=key.id, role=key.role)
