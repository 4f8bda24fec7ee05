"""Seed an organisation from files: assets and signals (JSON), measurements (CSV).

Catalogue, a JSON object:

    {"assets": [{"name": "Tractor 1", "kind": "tractor", "description": "…",
                 "attributes": {"year": 2021}, "tags": ["fleet"],
                 "signals": [{"name": "engine_temp", "unit": "°C", "description": "…"}]}]}

Measurements, CSV with a header row naming the columns `asset,signal,ts,value` (any order):
`ts` is ISO 8601 with a timezone (`2026-11-22T08:00:00Z`), the asset and signal are named, and
are looked up case-insensitively within the organisation (from the catalogue or already there).

A seed is idempotent: assets and signals are found by name and reused (the fields a catalogue
spells out are applied when they differ), and points upsert on (signal, ts). Every file is
checked before anything is written, so a bad file is reported by name and line and leaves the
database as it was; the points then go through the same ingest use case as the API, a batch
(one transaction) at a time.
"""

import csv
import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assetwatch.domain import (
    Asset,
    InvalidInput,
    IssuedKey,
    Measurement,
    NotFound,
    Organization,
    Points,
    Role,
    Signal,
)
from assetwatch.domain.tags import Tags
from assetwatch.domain.types import Description, Name, ShortText, utcnow
from assetwatch.services import telemetry, tenancy
from assetwatch.services.auth import Principal
from assetwatch.services.changes import apply_changes
from assetwatch.services.ports import UnitOfWork

DEFAULT_BATCH_SIZE = 5_000
CSV_COLUMNS = ("asset", "signal", "ts", "value")
MAX_REPORTED_ERRORS = 20
_LINES_SHOWN = 3
LIST_PAGE = 500
_MICROSECOND = timedelta(microseconds=1)
# `--shift-to-now` moves every timestamp by a whole number of steps: the least common multiple
# of each signal's sampling interval (at most a day; a second when no signal has two points).
# A later re-seed then lands every signal on its own earlier grid: points overwrite, they do not
# interleave with the first seed's.
_MAX_STEP = timedelta(days=1)
_DEFAULT_STEP = timedelta(seconds=1)
# Seeding is an operator's act, not a client's: it writes with the writer role and no API key.
OPERATOR_KEY_ID = 0


# --- the catalogue (JSON) --------------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SignalSpec(_Spec):
    name: Name
    unit: ShortText | None = None
    description: Description = ""


class AssetSpec(_Spec):
    name: Name
    kind: ShortText = "generic"
    description: Description = ""
    attributes: dict[str, Any] = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)
    signals: list[SignalSpec] = Field(default_factory=list)


class Catalogue(_Spec):
    assets: list[AssetSpec] = Field(default_factory=list)


# Only the fields a file spells out are applied to an existing asset or signal.
_ASSET_FIELDS = ("kind", "description", "attributes", "tags")
_SIGNAL_FIELDS = ("unit", "description")


def _location(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


def read_catalogue(path: Path) -> Catalogue:
    """Parse and validate a catalogue; a problem names the file and where in it."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise _bad([f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}"]) from error
    except (OSError, UnicodeDecodeError) as error:
        raise _bad([f"{path}: cannot read: {error}"]) from error
    try:
        catalogue = Catalogue.model_validate(raw)
    except ValidationError as error:
        raise _bad(
            [f"{path}: {_location(e['loc'])}: {e['msg']}" for e in error.errors()]
        ) from error
    problems = []
    seen: set[str] = set()
    for index, asset in enumerate(catalogue.assets):
        if asset.name.casefold() in seen:
            problems.append(f"{path}: assets[{index}]: asset {asset.name!r} is listed twice")
        seen.add(asset.name.casefold())
        names: set[str] = set()
        for n, signal in enumerate(asset.signals):
            if signal.name.casefold() in names:
                problems.append(
                    f"{path}: assets[{index}].signals[{n}]: signal {signal.name!r} is listed twice"
                )
            names.add(signal.name.casefold())
    if problems:
        raise _bad(problems)
    return catalogue


# --- measurements (CSV) ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    asset: str
    signal: str
    ts: datetime
    value: float


class RowError(ValueError):
    def __init__(self, line: int, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.line = line
        self.fatal = fatal  # the rest of the file cannot be read (a bad header, say)

    def where(self, path: Path) -> str:
        """`file:line: message` (no line number when the file could not be opened at all)."""
        return f"{path}:{self.line}: {self}" if self.line else f"{path}: {self}"


def _parse_ts(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"ts {text!r} is not an ISO 8601 timestamp") from None
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"ts {text!r} has no timezone (write Z or +01:00)")
    return ts


def _parse_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"value {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"value {text!r} is not a finite number")
    return value


def read_rows(path: Path) -> Iterator[Row | RowError]:
    """Each data row of a measurements file, or the error that line holds (with its number)."""
    try:
        f = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        yield RowError(0, f"cannot read: {error.strerror or error}", fatal=True)
        return
    with f:
        reader = csv.reader(f)
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as error:
            yield RowError(1, f"cannot read the header: {error}", fatal=True)
            return
        columns = [c.strip().casefold() for c in header or []]
        if sorted(columns) != sorted(CSV_COLUMNS):
            found = ",".join(header or []) or "an empty file"
            expected = ",".join(CSV_COLUMNS)
            yield RowError(1, f"expected the header {expected}, found {found}", fatal=True)
            return
        width = len(columns)
        i_asset, i_signal, i_ts, i_value = (columns.index(c) for c in CSV_COLUMNS)
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as error:
                yield RowError(reader.line_num, str(error), fatal=True)
                return
            line = reader.line_num
            if len(record) != width:
                if all(not c.strip() for c in record):
                    continue  # blank lines are allowed
                yield RowError(line, f"expected {width} fields, found {len(record)}")
                continue
            asset, signal = record[i_asset].strip(), record[i_signal].strip()
            ts, value = record[i_ts].strip(), record[i_value].strip()
            try:
                if not asset or not signal:
                    raise ValueError("asset and signal must not be empty")
                yield Row(line, asset, signal, _parse_ts(ts), _parse_value(value))
            except ValueError as error:
                yield RowError(line, str(error))


# --- the use case ----------------------------------------------------------------------------


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


@dataclass
class _Scan:
    """What the check pass learns about the measurement files."""

    points: int = 0
    newest: datetime | None = None
    # (asset, signal) casefolded → (its first timestamp, gcd of every other's distance to it)
    series: dict[tuple[str, str], tuple[datetime, int]] = field(default_factory=dict)
    # (file, message) → (the first few line numbers, how many lines): one entry per kind of
    # problem, so a misspelt signal name is reported once, not on each of its 5,000 lines.
    found: dict[tuple[Path, str], tuple[list[int], int]] = field(default_factory=dict)

    def saw(self, row: Row) -> None:
        self.points += 1
        ts = row.ts
        if self.newest is None or ts > self.newest:
            self.newest = ts
        key = (row.asset.casefold(), row.signal.casefold())
        first, spacing = self.series.get(key, (ts, 0))
        self.series[key] = (first, math.gcd(spacing, abs(ts - first) // _MICROSECOND))

    @property
    def step(self) -> timedelta:
        """The least common multiple of the signals' sampling intervals (see `_MAX_STEP`)."""
        spacings = [spacing for _, spacing in self.series.values() if spacing]
        if not spacings:
            return _DEFAULT_STEP
        step = math.lcm(*spacings) * _MICROSECOND
        return min(step, _MAX_STEP)

    def problem(self, path: Path, line: int, message: str) -> None:
        lines, count = self.found.get((path, message), ([], 0))
        if len(lines) < _LINES_SHOWN:
            lines.append(line)
        self.found[(path, message)] = (lines, count + 1)

    @property
    def problems(self) -> list[str]:
        listed = []
        for (path, message), (lines, count) in self.found.items():
            where = ",".join(str(n) for n in lines if n)
            more = f" (and {count - len(lines)} more lines)" if count > len(lines) else ""
            listed.append(f"{path}:{where}: {message}{more}" if where else f"{path}: {message}")
        if len(listed) > MAX_REPORTED_ERRORS:
            hidden = len(listed) - MAX_REPORTED_ERRORS
            listed = [*listed[:MAX_REPORTED_ERRORS], f"… and {hidden} more problems"]
        return listed


def _bad(problems: list[str]) -> InvalidInput:
    listing = "\n".join(f"  {p}" for p in problems)
    return InvalidInput(
        f"problems in the seed files, nothing was written:\n{listing}",
        [{"loc": ["file"], "msg": p, "type": "seed_file"} for p in problems],
    )


def split_files(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(catalogues, measurement files) by extension; a folder stands for its *.json and *.csv."""
    catalogues: list[Path] = []
    measurements: list[Path] = []
    problems: list[str] = []
    for path in paths:
        members = sorted(path.iterdir()) if path.is_dir() else [path]
        for member in members:
            suffix = member.suffix.casefold()
            if suffix == ".json":
                catalogues.append(member)
            elif suffix == ".csv":
                measurements.append(member)
            elif not path.is_dir():
                problems.append(f"{member}: not a .json catalogue nor a .csv of measurements")
        if path.is_dir() and not any(m.suffix.casefold() in {".json", ".csv"} for m in members):
            problems.append(f"{path}: no .json or .csv files in this folder")
    if problems:
        raise _bad(problems)
    return catalogues, measurements


def shift_for(scan: _Scan, now: datetime) -> timedelta:
    """Move the newest point to `now` or just before it, by whole steps of the data's spacing."""
    if scan.newest is None:
        return timedelta(0)
    step = scan.step
    return ((now - scan.newest) // step) * step


async def _organization(uow: UnitOfWork, slug: str) -> Organization:
    async with uow:
        organization = await uow.organizations.get_by_slug(slug)
    if organization is None or organization.id is None:
        raise NotFound(f"no organisation {slug!r}: create it with `assetwatch orgs create`")
    return organization


async def _all_assets(uow: UnitOfWork, organization_id: int) -> list[Asset]:
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


def _changes(spec: _Spec, fields: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in fields if name in spec.model_fields_set}


async def _apply_catalogues(
    uow: UnitOfWork, organization_id: int, specs: Sequence[AssetSpec], report: SeedReport
) -> None:
    """Create or update the catalogues' assets and signals, in one transaction."""
    async with uow:
        existing = {a.name.casefold(): a for a in await _all_assets(uow, organization_id)}
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
            changed = apply_changes(asset, _changes(spec, _ASSET_FIELDS))
            signals = {s.name.casefold(): s for s in asset.signals}
            for signal_spec in spec.signals:
                signal = signals.get(signal_spec.name.casefold())
                if signal is None:
                    asset.add_signal(Signal(**signal_spec.model_dump()))
                    report.signals_created += 1
                    changed = True
                elif apply_changes(signal, _changes(signal_spec, _SIGNAL_FIELDS)):
                    report.signals_updated += 1
                    changed = True
            if changed:
                asset.touch()
                report.assets_updated += 1
            else:
                report.assets_unchanged += 1
        await uow.commit()


async def _signal_ids(
    uow: UnitOfWork, organization_id: int
) -> tuple[dict[tuple[str, str], int], dict[str, Asset]]:
    async with uow:
        assets = await _all_assets(uow, organization_id)
    by_name = {a.name.casefold(): a for a in assets}
    ids = {
        (a.name.casefold(), s.name.casefold()): s.id
        for a in assets
        for s in a.signals
        if s.id is not None
    }
    return ids, by_name


def _scan(
    files: Sequence[Path],
    known: Callable[[str, str], str | None],
    *,
    future_limit: datetime | None,
) -> _Scan:
    """The check pass: every row parses and names a known signal; count and measure them."""
    scan = _Scan()
    for path in files:
        for item in read_rows(path):
            if isinstance(item, RowError):
                scan.problem(path, item.line, str(item))
                if item.fatal:
                    break
                continue
            if (unknown := known(item.asset, item.signal)) is not None:
                scan.problem(path, item.line, unknown)
                continue
            if future_limit is not None and item.ts > future_limit:
                scan.problem(path, item.line, f"ts {item.ts.isoformat()} is in the future")
                continue
            scan.saw(item)
    return scan


async def seed(
    uow: UnitOfWork,
    slug: str,
    paths: Sequence[Path],
    *,
    max_future: timedelta,
    shift_to_now: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> SeedReport:
    """Seed organisation SLUG from PATHS (catalogues first, then measurements)."""
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    progress = progress or _Silent()
    started = time.monotonic()
    organization = await _organization(uow, slug)
    assert organization.id is not None  # checked by _organization
    org_id = organization.id
    catalogue_files, measurement_files = split_files(paths)

    # 1. Check everything before writing anything.
    specs: list[AssetSpec] = []
    problems: list[str] = []
    declared_in: dict[str, Path] = {}
    for path in catalogue_files:
        try:
            catalogue = read_catalogue(path)
        except InvalidInput as error:
            problems.extend(e["msg"] for e in error.errors)
            continue
        for spec in catalogue.assets:
            if (first := declared_in.get(spec.name.casefold())) is not None:
                problems.append(f"{path}: asset {spec.name!r} is also listed in {first}")
                continue
            declared_in[spec.name.casefold()] = path
            specs.append(spec)
    if problems:
        raise _bad(problems)
    async with uow:
        existing = await _all_assets(uow, org_id)
    names: dict[str, set[str]] = {
        a.name.casefold(): {s.name.casefold() for s in a.signals} for a in existing
    }
    for spec in specs:
        names.setdefault(spec.name.casefold(), set()).update(
            s.name.casefold() for s in spec.signals
        )

    def known(asset: str, signal: str) -> str | None:
        signals = names.get(asset.casefold())
        if signals is None:
            return f"unknown asset {asset!r} (not in the catalogues nor in {slug!r})"
        if signal.casefold() not in signals:
            return f"asset {asset!r} has no signal {signal!r}"
        return None

    now = now or utcnow()
    scan = _scan(measurement_files, known, future_limit=None if shift_to_now else now + max_future)
    if scan.problems:
        raise _bad(scan.problems)

    # 2. Assets and signals, one transaction.
    report = SeedReport(organization=organization)
    report.shift = shift_for(scan, now) if shift_to_now else timedelta(0)
    await _apply_catalogues(uow, org_id, specs, report)
    ids, by_name = await _signal_ids(uow, org_id)
    for spec in specs:
        asset = by_name[spec.name.casefold()]
        assert asset.id is not None
        report.assets.append(
            SeededAsset(
                asset.id,
                asset.name,
                {s.name: ids[(asset.name.casefold(), s.name.casefold())] for s in spec.signals},
            )
        )

    # 3. Measurements, a batch (one transaction) at a time, through the ingest use case.
    caller = Principal(organization_id=org_id, key_id=OPERATOR_KEY_ID, role=Role.writer)
    progress.start(scan.points)
    batch: list[Measurement] = []

    async def flush() -> None:
        points = Points.of(batch)
        report.points_written += await telemetry.ingest(uow, caller, points, max_future=max_future)
        report.batches += 1
        progress.advance(len(batch))
        batch.clear()

    for path in measurement_files:
        for item in read_rows(path):
            if isinstance(item, RowError):  # the file changed since the check pass
                raise _bad([item.where(path)])
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
    report.seconds = time.monotonic() - started
    return report


# --- the demo tenant -------------------------------------------------------------------------

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
        uow, slug, paths, max_future=max_future, shift_to_now=True, progress=progress, now=now
    )
    key = await tenancy.create_key_for_slug(uow, slug, "demo admin", Role.admin)
    return DemoTenant(report, key)
