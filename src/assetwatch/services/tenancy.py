"""Bootstrap use cases: organisations and their first keys (CLI and admin API)."""

from assetwatch.domain import Conflict, IssuedKey, NotFound, Organization, Role
from assetwatch.domain.api_keys import issue_key
from assetwatch.services.ports import UnitOfWork


async def create_organization(uow: UnitOfWork, slug: str, name: str) -> Organization:
    organization = Organization(slug=slug, name=name)
    async with uow:
        if await uow.organizations.get_by_slug(organization.slug) is not None:
            raise Conflict(f"organisation {organization.slug!r} already exists")
        await uow.organizations.add(organization)
        await uow.commit()
    return organization


async def create_key_for_slug(uow: UnitOfWork, slug: str, name: str, role: Role) -> IssuedKey:
    async with uow:
        organization = await uow.organizations.get_by_slug(slug)
        if organization is None or organization.id is None:
            raise NotFound(f"no organisation {slug!r}")
        issued = issue_key(organization.id, name, role)
        await uow.api_keys.add(issued.key)
        await uow.commit()
    return issued
