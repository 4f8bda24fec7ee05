"""Bootstrap use cases against the in-memory unit of work."""

import pytest

from assetwatch.domain import Conflict, NotFound, Role
from assetwatch.services import tenancy
from tests.unit.fakes import FakeUnitOfWork


async def test_creating_an_organisation_commits_it() -> None:
    uow = FakeUnitOfWork()
    org = await tenancy.create_organization(uow, "Acme", "Acme Farms")
    assert (org.id, org.slug) == (1, "acme")
    async with uow:  # a later unit of work finds it: it was committed, not rolled back
        stored = await uow.organizations.get_by_slug("acme")
    assert stored is not None
    assert (stored.id, stored.name) == (1, "Acme Farms")


async def test_a_duplicate_slug_is_a_conflict_and_nothing_more_is_written() -> None:
    uow = FakeUnitOfWork()
    await tenancy.create_organization(uow, "acme", "Acme")
    with pytest.raises(Conflict):
        await tenancy.create_organization(uow, "ACME", "Other")
    assert len(uow.store.organizations) == 1


async def test_a_key_is_issued_for_an_existing_organisation() -> None:
    uow = FakeUnitOfWork()
    await tenancy.create_organization(uow, "acme", "Acme")
    issued = await tenancy.create_key_for_slug(uow, "acme", "ci", Role.admin)
    assert issued.token.startswith(f"aw_{issued.key.prefix}_")
    assert await uow.api_keys.get_by_prefix(issued.key.prefix) is not None


async def test_a_key_for_an_unknown_organisation_is_refused() -> None:
    with pytest.raises(NotFound):
        await tenancy.create_key_for_slug(FakeUnitOfWork(), "nobody", "ci", Role.admin)
