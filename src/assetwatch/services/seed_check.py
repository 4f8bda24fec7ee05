"""The first step of a seed: check every file against the organisation before writing anything.

A bad file is reported by name and line and leaves the database as it was, so this step only
reads: it returns what the apply and write steps need, or raises `InvalidInput` listing it all.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from assetwatch.domain import Asset, InvalidInput, NotFound, Organization
from assetwatch.services.ports import UnitOfWork
from assetwatch.services.seed_files import AssetSpec, bad_files, read_catalogue, split_files
from assetwatch.services.seed_scan import Scan, scan_measurements

LIST_PAGE = 500


@dataclass(frozen=True)
class Checked:
    """What the check step found: the files are good, here is what they hold."""

    organization: Organization
    specs: list[AssetSpec]  # every catalogue's assets, in the files' order
    measurement_files: list[Path]
    scan: Scan


async def find_organization(uow: UnitOfWork, slug: str) -> Organization:
    async with uow:
        organization = await uow.organizations.get_by_slug(slug)
    if organization is None or organization.id is None:
        raise NotFound(f"no organisation {slug!r}: create it with `assetwatch orgs create`")
    return organization


async def all_assets(uow: UnitOfWork, organization_id: int) -> list[Asset]:
    """Every asset of the organisation with its signals (inside the caller's unit of work)."""
    assets: list[Asset] = []
    after: int | None = None
    while True:
        page = await uow.assets.list(
            organization_id,
            kind=None,
            name_prefix=None,
            tag=None,
            after_id=after,
            limit=LIST_PAGE,
        )
        assets.extend(page)
        if len(page) < LIST_PAGE:
            return assets
        after = page[-1].id


def _read_catalogues(files: Sequence[Path]) -> list[AssetSpec]:
    """The assets of every catalogue; an asset listed in two files is a problem."""
    specs: list[AssetSpec] = []
    problems: list[str] = []
    declared_in: dict[str, Path] = {}
    for path in files:
        try:
            catalogue = read_catalogue(path)
        except InvalidInput as error:
            problems.extend(e.msg for e in error.errors)
            continue
        for spec in catalogue.assets:
            if (first := declared_in.get(spec.name.casefold())) is not None:
                problems.append(f"{path}: asset {spec.name!r} is also listed in {first}")
                continue
            declared_in[spec.name.casefold()] = path
            specs.append(spec)
    if problems:
        raise bad_files(problems)
    return specs


async def check(
    uow: UnitOfWork,
    slug: str,
    paths: Sequence[Path],
    *,
    max_future: timedelta,
    shift_to_now: bool,
    now: datetime,
) -> Checked:
    """Read and check every file; raise `InvalidInput` listing the problems, if any."""
    organization = await find_organization(uow, slug)
    assert organization.id is not None  # checked by find_organization
    catalogue_files, measurement_files = split_files(paths)
    specs = _read_catalogues(catalogue_files)
    async with uow:
        existing = await all_assets(uow, organization.id)
    names: dict[str, set[str]] = {
        a.name.casefold(): {s.name.casefold() for s in a.signals} for a in existing
    }
    for spec in specs:
        names.setdefault(spec.name.casefold(), set()).update(
            s.name.casefold() for s in spec.signals
        )

    def why_unknown(asset: str, signal: str) -> str | None:
        """Why no such signal is known (None when it is): the problem to report."""
        signals = names.get(asset.casefold())
        if signals is None:
            return f"unknown asset {asset!r} (not in the catalogues nor in {slug!r})"
        if signal.casefold() not in signals:
            return f"asset {asset!r} has no signal {signal!r}"
        return None

    future_limit = None if shift_to_now else now + max_future
    scan = scan_measurements(measurement_files, why_unknown, future_limit=future_limit)
    if scan.problems:
        raise bad_files(scan.problems)
    return Checked(organization, specs, measurement_files, scan)
