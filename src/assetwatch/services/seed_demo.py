"""The demo organisation: created once, on the first start, from the data shipped with the image.

It is a seed shifted to now plus an admin key, so a newcomer has live-looking data to query.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from assetwatch.domain import IssuedKey, Role
from assetwatch.services import tenancy
from assetwatch.services.ports import TelemetryStore, UnitOfWork
from assetwatch.services.seeding import Progress, SeedReport, seed

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Farm"


@dataclass(frozen=True)
class DemoTenant:
    report: SeedReport
    key: IssuedKey


async def demo_exists(uow: UnitOfWork, slug: str = DEMO_SLUG) -> bool:
    async with uow:
        return await uow.organizations.get_by_slug(slug) is not None


async def bootstrap_demo(
    uow: UnitOfWork,
    store: TelemetryStore,
    paths: Sequence[Path],
    *,
    max_future: timedelta,
    slug: str = DEMO_SLUG,
    name: str = DEMO_NAME,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> DemoTenant | None:
    """Create the demo organisation, seed it shifted to now, and issue an admin key.

    None when the organisation already exists: the demo is created once, on the first start.
    """
    if await demo_exists(uow, slug):
        return None
    await tenancy.create_organization(uow, slug, name)
    report = await seed(
        uow,
        store,
        slug,
        paths,
        max_future=max_future,
        shift_to_now=True,
        progress=progress,
        now=now,
    )
    key = await tenancy.create_key_for_slug(uow, slug, "demo admin", Role.admin)
    return DemoTenant(report, key)
