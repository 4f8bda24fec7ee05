"""Admin use cases on API keys: create (secret shown once), list, revoke."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from assetwatch.domain import Conflict, NotFound, PermissionDenied, Role
from assetwatch.domain.api_keys import hash_secret, split_token
from assetwatch.services import api_keys
from assetwatch.services.auth import KeyCache, Principal, authenticate
from tests.unit.fakes import FakeUnitOfWork, principal, seed_organization, state


@dataclass
class Orgs:
    uow: FakeUnitOfWork
    mine: int
    other: int

    def caller(self, role: Role = Role.admin) -> Principal:
        return principal(self.mine, role)


@pytest.fixture
async def orgs() -> Orgs:
    uow = FakeUnitOfWork()
    return Orgs(uow, await seed_organization(uow, "acme"), await seed_organization(uow, "rival"))


def _cache() -> KeyCache:
    return KeyCache(ttl=5)


async def test_a_created_key_authenticates_with_the_role_asked_for(orgs: Orgs) -> None:
    issued = await api_keys.create_key(orgs.uow, orgs.caller(), "gateway", Role.writer)

    caller = await authenticate(orgs.uow, _cache(), issued.token)
    assert (caller.organization_id, caller.role) == (orgs.mine, Role.writer)
    assert issued.key.id is not None
    assert orgs.uow.store.api_keys[issued.key.id].name == "gateway"


async def test_a_created_key_is_stored_without_its_secret(orgs: Orgs) -> None:
    issued = await api_keys.create_key(orgs.uow, orgs.caller(), "gateway", Role.reader)
    parts = split_token(issued.token)
    assert parts is not None
    _, secret = parts
    assert issued.key.id is not None
    stored = orgs.uow.store.api_keys[issued.key.id]
    assert stored.secret_hash == hash_secret(secret)
    assert secret not in repr(state(orgs.uow.store))


async def test_a_key_always_belongs_to_the_callers_organisation(orgs: Orgs) -> None:
    issued = await api_keys.create_key(orgs.uow, orgs.caller(), "k", Role.admin)
    assert issued.key.organization_id == orgs.mine
    other_admin = principal(orgs.other, Role.admin)
    listed = await api_keys.list_keys(orgs.uow, other_admin, cursor=None, limit=50)
    assert listed.items == []


async def test_listing_shows_only_the_organisations_keys_in_creation_order(orgs: Orgs) -> None:
    mine = [
        await api_keys.create_key(orgs.uow, orgs.caller(), f"k{i}", Role.reader) for i in range(3)
    ]
    await api_keys.create_key(orgs.uow, principal(orgs.other, Role.admin), "theirs", Role.admin)

    page = await api_keys.list_keys(orgs.uow, orgs.caller(), cursor=None, limit=50)

    assert [k.name for k in page.items] == ["k0", "k1", "k2"]
    assert [k.id for k in page.items] == [i.key.id for i in mine]
    assert page.next_cursor is None


async def test_revoking_marks_the_key_and_it_no_longer_authenticates(orgs: Orgs) -> None:
    issued = await api_keys.create_key(orgs.uow, orgs.caller(), "k", Role.writer)
    assert issued.key.id is not None

    revoked = await api_keys.revoke_key(orgs.uow, orgs.caller(), issued.key.id, _cache())

    assert revoked.revoked_at is not None
    assert orgs.uow.store.api_keys[issued.key.id].revoked_at == revoked.revoked_at
    listed = await api_keys.list_keys(orgs.uow, orgs.caller(), cursor=None, limit=50)
    assert [k.revoked_at for k in listed.items] == [revoked.revoked_at]


async def test_revoking_twice_keeps_the_first_revocation_time(orgs: Orgs) -> None:
    issued = await api_keys.create_key(orgs.uow, orgs.caller(), "k", Role.writer)
    assert issued.key.id is not None
    first = (await api_keys.revoke_key(orgs.uow, orgs.caller(), issued.key.id, _cache())).revoked_at
    assert first is not None
    second = await api_keys.revoke_key(orgs.uow, orgs.caller(), issued.key.id, _cache())
    assert second.revoked_at == first
    assert orgs.uow.store.api_keys[issued.key.id].revoked_at == first


async def test_revoking_another_organisations_key_is_not_found_and_changes_nothing(
    orgs: Orgs,
) -> None:
    theirs = await api_keys.create_key(
        orgs.uow, principal(orgs.other, Role.admin), "theirs", Role.admin
    )
    assert theirs.key.id is not None
    before = state(orgs.uow.store)

    with pytest.raises(NotFound):
        await api_keys.revoke_key(orgs.uow, orgs.caller(), theirs.key.id, _cache())

    assert state(orgs.uow.store) == before
    assert (await authenticate(orgs.uow, _cache(), theirs.token)).organization_id == orgs.other


async def test_revoking_an_unknown_key_is_not_found(orgs: Orgs) -> None:
    with pytest.raises(NotFound):
        await api_keys.revoke_key(orgs.uow, orgs.caller(), 999_999, _cache())


# --- roles: every key use case needs admin ---------------------------------------------------

UseCase = Callable[[Orgs, Principal, int], Awaitable[object]]


async def _create(orgs: Orgs, caller: Principal, key_id: int) -> object:
    return await api_keys.create_key(orgs.uow, caller, "new", Role.reader)


async def _list(orgs: Orgs, caller: Principal, key_id: int) -> object:
    return await api_keys.list_keys(orgs.uow, caller, cursor=None, limit=10)


async def _revoke(orgs: Orgs, caller: Principal, key_id: int) -> object:
    return await api_keys.revoke_key(orgs.uow, caller, key_id, _cache())


USE_CASES: dict[str, UseCase] = {"create": _create, "list": _list, "revoke": _revoke}


async def _existing_key(orgs: Orgs) -> int:
    issued = await api_keys.create_key(orgs.uow, orgs.caller(Role.admin), "existing", Role.reader)
    assert issued.key.id is not None
    return issued.key.id


@pytest.mark.parametrize("use_case", USE_CASES)
@pytest.mark.parametrize("role", [Role.reader, Role.writer])
async def test_keys_are_managed_by_admins_only(orgs: Orgs, use_case: str, role: Role) -> None:
    key_id = await _existing_key(orgs)
    before = state(orgs.uow.store)
    with pytest.raises(PermissionDenied, match="admin"):
        await USE_CASES[use_case](orgs, orgs.caller(role), key_id)
    assert state(orgs.uow.store) == before


async def test_an_admin_may_create_a_key(orgs: Orgs) -> None:
    await _existing_key(orgs)
    issued = await api_keys.create_key(orgs.uow, orgs.caller(Role.admin), "new", Role.reader)
    caller = await authenticate(orgs.uow, _cache(), issued.token)
    assert (caller.organization_id, caller.role) == (orgs.mine, Role.reader)
    listed = await api_keys.list_keys(orgs.uow, orgs.caller(), cursor=None, limit=50)
    assert [k.name for k in listed.items] == ["existing", "new"]


async def test_an_admin_may_list_keys(orgs: Orgs) -> None:
    key_id = await _existing_key(orgs)
    page = await api_keys.list_keys(orgs.uow, orgs.caller(Role.admin), cursor=None, limit=10)
    assert [(k.id, k.name, k.role) for k in page.items] == [(key_id, "existing", Role.reader)]
    assert page.next_cursor is None


async def test_an_admin_may_revoke_a_key(orgs: Orgs) -> None:
    key_id = await _existing_key(orgs)
    revoked = await api_keys.revoke_key(orgs.uow, orgs.caller(Role.admin), key_id, _cache())
    assert revoked.id == key_id
    assert revoked.revoked_at is not None
    assert orgs.uow.store.api_keys[key_id].revoked_at == revoked.revoked_at


async def test_a_key_cannot_revoke_itself(orgs: Orgs) -> None:
    issued = await api_keys.create_key(orgs.uow, orgs.caller(), "only admin", Role.admin)
    assert issued.key.id is not None
    itself = principal(orgs.mine, Role.admin, key_id=issued.key.id)

    with pytest.raises(Conflict) as refused:
        await api_keys.revoke_key(orgs.uow, itself, issued.key.id, _cache())
    assert refused.value.detail == (
        "a key cannot revoke itself: revoke it with another admin key of the organisation"
    )

    assert (await authenticate(orgs.uow, _cache(), issued.token)).key_id == issued.key.id
