"""Authentication: bearer tokens → principals, and the short-lived key cache."""

import pytest

from assetwatch.domain import AuthenticationFailed, IssuedKey, PermissionDenied, Role
from assetwatch.domain.types import utcnow
from assetwatch.services import api_keys, tenancy
from assetwatch.services.auth import KeyCache, authenticate
from tests.unit.fakes import FakeUnitOfWork, principal, seed_organization

TTL = 5.0


class Clock:
    """An injectable monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(clock: Clock) -> KeyCache:
    return KeyCache(ttl=TTL, clock=clock)


async def _issue(uow: FakeUnitOfWork, role: Role = Role.writer, slug: str = "acme") -> IssuedKey:
    if await uow.organizations.get_by_slug(slug) is None:
        await seed_organization(uow, slug)
    return await tenancy.create_key_for_slug(uow, slug, f"{role.value}-key", role)


async def test_a_valid_token_names_the_key_its_organisation_and_its_role(
    uow: FakeUnitOfWork, cache: KeyCache
) -> None:
    await seed_organization(uow, "first")
    issued = await _issue(uow, Role.reader, slug="acme")

    caller = await authenticate(uow, cache, issued.token)

    org = await uow.organizations.get_by_slug("acme")
    assert org is not None
    assert (caller.organization_id, caller.key_id, caller.role) == (
        org.id,
        issued.key.id,
        Role.reader,
    )


@pytest.mark.parametrize("token", [None, ""])
async def test_a_missing_token_is_refused_without_a_lookup(
    uow: FakeUnitOfWork, cache: KeyCache, token: str | None
) -> None:
    await _issue(uow)
    with pytest.raises(AuthenticationFailed):
        await authenticate(uow, cache, token)
    assert uow.api_keys.prefix_lookups == 0


@pytest.mark.parametrize(
    "shape",
    [
        "Bearer {token}",  # the header's scheme left in
        " {token}",
        "AW{rest}",
        "xx{token}",
        "aw_",
        "aw__secret",
        "not-a-key",
        "{prefix}",
        "aw_{prefix}",
        "aw_{prefix}_",
    ],
)
async def test_a_malformed_token_is_refused(
    uow: FakeUnitOfWork, cache: KeyCache, shape: str
) -> None:
    issued = await _issue(uow)
    token = shape.format(token=issued.token, prefix=issued.key.prefix, rest=issued.token[2:])
    with pytest.raises(AuthenticationFailed):
        await authenticate(uow, cache, token)
    assert uow.api_keys.prefix_lookups == 0  # a token that cannot be a key costs no SQL


async def test_an_unknown_prefix_is_refused(uow: FakeUnitOfWork, cache: KeyCache) -> None:
    issued = await _issue(uow)
    _, _, secret = issued.token.split("_", 2)
    with pytest.raises(AuthenticationFailed):
        await authenticate(uow, cache, f"aw_000000000000_{secret}")


async def test_a_wrong_secret_is_refused(uow: FakeUnitOfWork, cache: KeyCache) -> None:
    issued = await _issue(uow)
    with pytest.raises(AuthenticationFailed):
        await authenticate(uow, cache, f"aw_{issued.key.prefix}_not-the-secret")


async def test_a_wrong_secret_is_refused_even_when_the_key_is_cached(
    uow: FakeUnitOfWork, cache: KeyCache
) -> None:
    issued = await _issue(uow)
    await authenticate(uow, cache, issued.token)  # warms the cache
    with pytest.raises(AuthenticationFailed):
        await authenticate(uow, cache, issued.token[:-1])
    assert uow.api_keys.prefix_lookups == 1


async def test_a_revoked_key_is_refused(uow: FakeUnitOfWork, cache: KeyCache) -> None:
    issued = await _issue(uow)
    assert issued.key.id is not None
    uow.store.api_keys[issued.key.id].revoked_at = utcnow()
    with pytest.raises(AuthenticationFailed):
        await authenticate(uow, cache, issued.token)


async def test_a_warm_cache_spends_no_lookup(uow: FakeUnitOfWork, cache: KeyCache) -> None:
    issued = await _issue(uow)
    first = await authenticate(uow, cache, issued.token)
    second = await authenticate(uow, cache, issued.token)
    third = await authenticate(uow, cache, issued.token)
    assert first == second == third
    assert uow.api_keys.prefix_lookups == 1


async def test_each_key_has_its_own_cache_entry(uow: FakeUnitOfWork, cache: KeyCache) -> None:
    reader, admin = await _issue(uow, Role.reader), await _issue(uow, Role.admin)
    for _ in range(2):
        assert (await authenticate(uow, cache, reader.token)).role is Role.reader
        assert (await authenticate(uow, cache, admin.token)).role is Role.admin
    assert uow.api_keys.prefix_lookups == 2


async def test_a_cached_key_is_looked_up_again_once_the_ttl_has_passed(
    uow: FakeUnitOfWork, cache: KeyCache, clock: Clock
) -> None:
    issued = await _issue(uow)
    await authenticate(uow, cache, issued.token)
    clock.now += TTL - 0.001
    await authenticate(uow, cache, issued.token)
    assert uow.api_keys.prefix_lookups == 1
    clock.now += 0.001
    await authenticate(uow, cache, issued.token)
    assert uow.api_keys.prefix_lookups == 2


async def test_a_zero_ttl_caches_nothing(uow: FakeUnitOfWork, clock: Clock) -> None:
    issued = await _issue(uow)
    cache = KeyCache(ttl=0, clock=clock)
    await authenticate(uow, cache, issued.token)
    await authenticate(uow, cache, issued.token)
    assert uow.api_keys.prefix_lookups == 2


async def test_revoking_evicts_the_key_from_the_local_cache_at_once(
    uow: FakeUnitOfWork, cache: KeyCache
) -> None:
    issued = await _issue(uow)
    caller = await authenticate(uow, cache, issued.token)  # cached now
    assert issued.key.id is not None
    admin = principal(caller.organization_id, Role.admin)

    await api_keys.revoke_key(uow, admin, issued.key.id, cache)

    with pytest.raises(AuthenticationFailed):  # the clock has not moved
        await authenticate(uow, cache, issued.token)


async def test_another_process_honours_a_revocation_once_its_cache_expires(
    uow: FakeUnitOfWork, cache: KeyCache, clock: Clock
) -> None:
    """Revocation takes effect everywhere within the TTL, at once where it was revoked."""
    issued = await _issue(uow)
    caller = await authenticate(uow, cache, issued.token)  # this process caches the key
    assert issued.key.id is not None
    elsewhere = KeyCache(ttl=TTL, clock=clock)
    await api_keys.revoke_key(
        uow, principal(caller.organization_id, Role.admin), issued.key.id, elsewhere
    )

    assert await authenticate(uow, cache, issued.token) == caller  # still within the TTL here
    clock.now += TTL
    with pytest.raises(AuthenticationFailed):
        await authenticate(uow, cache, issued.token)


@pytest.mark.parametrize(
    ("held", "required", "allowed"),
    [
        (Role.reader, Role.reader, True),
        (Role.reader, Role.writer, False),
        (Role.reader, Role.admin, False),
        (Role.writer, Role.reader, True),
        (Role.writer, Role.writer, True),
        (Role.writer, Role.admin, False),
        (Role.admin, Role.reader, True),
        (Role.admin, Role.writer, True),
        (Role.admin, Role.admin, True),
    ],
)
def test_a_principal_requires_a_role_at_least_as_high(
    held: Role, required: Role, allowed: bool
) -> None:
    caller = principal(1, held)
    if allowed:
        caller.require(required)
    else:
        with pytest.raises(PermissionDenied, match=required.value):
            caller.require(required)
