"""Seed an organisation from files: check them all, apply the catalogues, write the points.

Idempotent, so a seed can be re-run: assets and signals are found by name and updated only in
the fields a catalogue spells out, and points go through the API's ingest, which upserts.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from assetwatch.domain import Asset, Measurement, Organization, Points, Role, Signal
from assetwatch.domain.types import utcnow
from assetwatch.services import telemetry
from assetwatch.services.auth import Principal
from assetwatch.services.changes import apply_changes
from assetwatch.services.ports import TelemetryStore, UnitOfWork
from assetwatch.services.seed_check import Checked, all_assets, check
from assetwatch.services.seed_files import AssetSpec, RowError, bad_files, read_rows
from assetwatch.services.seed_scan import shift_for

DEFAULT_BATCH_SIZE = 5_000
# Seeding is an operator's act, not a client's: it writes with the writer role and no API key.
OPERATOR_KEY_ID = 0
# Only the fields a file spells out are applied to an existing asset or signal.
_ASSET_FIELDS = ("kind", "description", "attributes", "tags")
_SIGNAL_FIELDS = ("unit", "description")


class Progress(Protocol):
    """Where a seed reports how far it got (the CLI draws a bar; tests record)."""

    def start(self, total_points: int) -> None: ...
    def advance(self, points: int) -> None: ...


class _Silent:
    def start(self, total_points: int) -> None:
        pass

    def advance(self, points: int) -> None:
        pass


@dataclass(frozen=True)
class SeededAsset:
    id: int
    name: str
    signal_ids: dict[str, int]  # by signal name, in the catalogue's order


@dataclass
class SeedReport:
    organization: Organization
    assets_created: int = 0
    assets_updated: int = 0
    assets_unchanged: int = 0
    signals_created: int = 0
    signals_updated: int = 0
    points_read: int = 0
    points_written: int = 0
    batches: int = 0
    shift: timedelta = timedelta(0)
    seconds: float = 0.0
    assets: list[SeededAsset] = field(default_factory=list)  # those the catalogues named

    @property
    def points_per_second(self) -> float:
        return self.points_written / self.seconds if self.seconds > 0 else 0.0


async def seed(
    uow: UnitOfWork,
    store: TelemetryStore,
    slug: str,
    paths: Sequence[Path],
    *,
    max_future: timedelta,
    shift_to_now: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> SeedReport:
    """Seed organisation SLUG from PATHS: the catalogues through `uow`, then the measurements
    through `store`."""
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    started = time.monotonic()
    now = now or utcnow()
    checked = await check(
        uow, slug, paths, max_future=max_future, shift_to_now=shift_to_now, now=now
    )
    report = SeedReport(organization=checked.organization)
    report.shift = shift_for(checked.scan, now) if shift_to_now else timedelta(0)
    ids = await _apply(uow, checked, report)
    await _write(store, checked, ids, report, max_future, batch_size, progress or _Silent())
    report.seconds = time.monotonic() - started
    return report


async def _apply(
    uow: UnitOfWork, checked: Checked, report: SeedReport
) -> dict[tuple[str, str], int]:
    """Assets and signals, one transaction; the signal ids by (asset, signal) casefolded."""
    org_id = checked.organization.id
    assert org_id is not None  # checked by `check`
    await _apply_catalogues(uow, org_id, checked.specs, report)
    async with uow:
        assets = await all_assets(uow, org_id)
    by_name = {a.name.casefold(): a for a in assets}
    ids = {
        (a.name.casefold(), s.name.casefold()): s.id
        for a in assets
        for s in a.signals
        if s.id is not None
    }
    for spec in checked.specs:
        asset = by_name[spec.name.casefold()]
        assert asset.id is not None
        report.assets.append(
            SeededAsset(
                asset.id,
                asset.name,
                {s.name: ids[(asset.name.casefold(), s.name.casefold())] for s in spec.signals},
            )
        )
    return ids


async def _apply_catalogues(
    uow: UnitOfWork, organization_id: int, specs: Sequence[AssetSpec], report: SeedReport
) -> None:
    """Create or update the catalogues' assets and signals, in one transaction."""
    async with uow:
        existing = {a.name.casefold(): a for a in await all_assets(uow, organization_id)}
        for spec in specs:
            asset = existing.get(spec.name.casefold())
            if asset is None:
                asset = Asset(
                    organization_id=organization_id,
                    **spec.model_dump(include={"name", *_ASSET_FIELDS}),
                    signals=[Signal(**s.model_dump()) for s in spec.signals],
                )
                await uow.assets.add(asset)  # flushes: ids now, and a name clash now
                report.assets_created += 1
                report.signals_created += len(spec.signals)
                continue
            changed = apply_changes(asset, spec.spelt_out(_ASSET_FIELDS))
            signals = {s.name.casefold(): s for s in asset.signals}
            for signal_spec in spec.signals:
                signal = signals.get(signal_spec.name.casefold())
                if signal is None:
                    asset.add_signal(Signal(**signal_spec.model_dump()))
                    report.signals_created += 1
                    changed = True
                elif apply_changes(signal, signal_spec.spelt_out(_SIGNAL_FIELDS)):
                    report.signals_updated += 1
                    changed = True
            if changed:
                asset.touch()
                report.assets_updated += 1
            else:
                report.assets_unchanged += 1
        await uow.commit()


async def _write(
    store: TelemetryStore,
    checked: Checked,
    ids: dict[tuple[str, str], int],
    report: SeedReport,
    max_future: timedelta,
    batch_size: int,
    progress: Progress,
) -> None:
    """Measurements, a batch (one statement, atomic) at a time, through the ingest use case."""
    org_id = checked.organization.id
    assert org_id is not None  # checked by `check`
    caller = Principal(organization_id=org_id, key_id=OPERATOR_KEY_ID, role=Role.writer)
    progress.start(checked.scan.points)
    batch: list[Measurement] = []

    async def flush() -> None:
        points = Points.of(batch)
        report.points_written += await telemetry.ingest(
            store, caller, points, max_future=max_future
        )
        report.batches += 1
        progress.advance(len(batch))
        batch.clear()

    for path in checked.measurement_files:
        for item in read_rows(path):
            if isinstance(item, RowError):  # the file changed since the check pass
                raise bad_files([item.where(path)])
            signal_id = ids[(item.asset.casefold(), item.signal.casefold())]
            batch.append(
                Measurement.model_construct(  # checked by the pass above
                    signal_id=signal_id,
                    ts=(item.ts + report.shift).astimezone(UTC),
                    value=item.value,
                )
            )
            report.points_read += 1
            if len(batch) >= batch_size:
                await flush()
    if batch:
        await flush()
