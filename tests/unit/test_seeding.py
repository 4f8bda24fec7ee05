"""Seeding an organisation from files (catalogue JSON, measurements CSV) on the in-memory fakes."""

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assetwatch.domain import InvalidInput, NotFound, Role
from assetwatch.services import seed_demo, seed_files, seed_scan, seeding
from tests.unit.fakes import (
    FakeTelemetryStore,
    FakeUnitOfWork,
    seed_asset,
    seed_organization,
    state,
)

SKEW = timedelta(minutes=5)
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # on the hour
NOW = datetime(2026, 3, 9, 12, 34, 56, tzinfo=UTC)
PROJECT = Path(__file__).resolve().parents[2]

CATALOGUE: dict[str, Any] = {
    "assets": [
        {
            "name": "Tractor 1",
            "kind": "tractor",
            "description": "Field tractor",
            "attributes": {"year": 2021},
            "tags": ["fleet"],
            "signals": [
                {"name": "engine_temp", "unit": "°C", "description": "coolant"},
                {"name": "fuel_level", "unit": "%"},
            ],
        },
        {
            "name": "Soil Node",
            "kind": "soil_sensor",
            "signals": [{"name": "soil_moisture", "unit": "%"}],
        },
    ]
}


class Recorder:
    """A `seeding.Progress` that remembers what it was told."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.advances: list[int] = []

    def start(self, total_points: int) -> None:
        self.total = total_points

    def advance(self, points: int) -> None:
        self.advances.append(points)


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_catalogue(folder: Path, catalogue: dict[str, Any], name: str = "assets.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(catalogue), encoding="utf-8")
    return path


def write_csv(folder: Path, rows: list[str], name: str = "points.csv") -> Path:
    path = folder / name
    path.write_text("\n".join(["asset,signal,ts,value", *rows]) + "\n", encoding="utf-8")
    return path


def week_rows() -> list[str]:
    """Tractor signals every 10 minutes, soil every 5, for one hour from T0."""
    rows = []
    for step in range(6):
        ts = iso(T0 + timedelta(minutes=10 * step))
        rows += [
            f"Tractor 1,engine_temp,{ts},{80 + step}",
            f"Tractor 1,fuel_level,{ts},{90 - step}",
        ]
    for step in range(12):
        rows.append(f"Soil Node,soil_moisture,{iso(T0 + timedelta(minutes=5 * step))},{30 + step}")
    return rows


@pytest.fixture
async def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    await seed_organization(uow, "acme")
    return uow


async def run(
    uow: FakeUnitOfWork,
    *paths: Path,
    slug: str = "acme",
    store: FakeTelemetryStore | None = None,
    **options: Any,
) -> seeding.SeedReport:
    """Seed through `uow` and a telemetry store on the same data (`store`, or a new one)."""
    options.setdefault("now", NOW)
    store = store or FakeTelemetryStore(uow.store)
    return await seeding.seed(uow, store, slug, list(paths), max_future=SKEW, **options)


def signal_id(uow: FakeUnitOfWork, asset: str, signal: str) -> int:
    found = next(
        s.id
        for _, a in sorted(uow.store.assets.items())
        if a.name.casefold() == asset.casefold()
        for s in a.signals
        if s.name == signal
    )
    assert found is not None
    return found


def points_of(uow: FakeUnitOfWork, asset: str, signal: str) -> dict[datetime, float]:
    sid = signal_id(uow, asset, signal)
    return {ts: v for (s, ts), v in sorted(uow.store.measurements.items()) if s == sid}


async def problems_of(uow: FakeUnitOfWork, *paths: Path, **options: Any) -> str:
    """Seed, expect a refusal, check nothing changed, return the message."""
    before = state(uow.store)
    with pytest.raises(InvalidInput) as refused:
        await run(uow, *paths, **options)
    assert state(uow.store) == before
    assert "nothing was written" in refused.value.detail
    return refused.value.detail


# --- what a seed writes --------------------------------------------------------------------------


async def test_a_catalogue_and_measurements_are_imported(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    progress = Recorder()
    report = await run(
        uow,
        write_catalogue(tmp_path, CATALOGUE),
        write_csv(tmp_path, week_rows()),
        progress=progress,
    )

    tractor = next(a for a in uow.store.assets.values() if a.name == "Tractor 1")
    assert (tractor.kind, tractor.description, tractor.attributes, tractor.tags) == (
        "tractor",
        "Field tractor",
        {"year": 2021},
        ["fleet"],
    )
    assert [(s.name, s.unit, s.description) for s in tractor.signals] == [
        ("engine_temp", "°C", "coolant"),
        ("fuel_level", "%", ""),
    ]
    assert (report.assets_created, report.signals_created, report.points_written) == (2, 3, 24)
    assert len(uow.store.measurements) == 24
    assert points_of(uow, "Tractor 1", "engine_temp")[T0 + timedelta(minutes=50)] == 85
    temp = tractor.signals[0]
    assert (temp.last_ts, temp.last_value) == (T0 + timedelta(minutes=50), 85)
    assert (progress.total, sum(progress.advances)) == (24, 24)
    assert report.shift == timedelta(0)
    assert [(a.name, list(a.signal_ids)) for a in report.assets] == [
        ("Tractor 1", ["engine_temp", "fuel_level"]),
        ("Soil Node", ["soil_moisture"]),
    ]
    assert report.assets[0].signal_ids["fuel_level"] == signal_id(uow, "Tractor 1", "fuel_level")


async def test_seeding_twice_changes_nothing(uow: FakeUnitOfWork, tmp_path: Path) -> None:
    files = [write_catalogue(tmp_path, CATALOGUE), write_csv(tmp_path, week_rows())]
    await run(uow, *files)
    before = state(uow.store)

    again = await run(uow, *files)

    assert state(uow.store) == before  # same ids, same rows, same latest points
    assert (again.assets_created, again.assets_updated, again.assets_unchanged) == (0, 0, 2)
    assert (again.signals_created, again.signals_updated) == (0, 0)
    assert again.points_written == 24


async def test_existing_assets_and_signals_are_found_by_name_in_any_case(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    org_id = next(iter(uow.store.organizations))
    existing = await seed_asset(uow, org_id, "TRACTOR 1", "Engine_Temp", kind="old")
    existing_ids = (existing.id, existing.signals[0].id)

    report = await run(uow, write_catalogue(tmp_path, CATALOGUE))

    tractor = uow.store.assets[existing.id or 0]
    assert (tractor.id, tractor.signals[0].id) == existing_ids
    assert tractor.name == "TRACTOR 1"  # matched, not renamed
    assert tractor.kind == "tractor"  # the file's fields are applied
    assert [s.name for s in tractor.signals] == ["Engine_Temp", "fuel_level"]
    assert (report.assets_created, report.assets_updated) == (1, 1)
    assert (report.signals_created, report.signals_updated) == (2, 1)  # unit "u" → "°C"


async def test_fields_a_catalogue_leaves_out_are_kept(uow: FakeUnitOfWork, tmp_path: Path) -> None:
    org_id = next(iter(uow.store.organizations))
    existing = await seed_asset(uow, org_id, "Soil Node", "soil_moisture", kind="soil_sensor")
    existing.description = "installed by hand"

    await run(uow, write_catalogue(tmp_path, CATALOGUE))

    soil = uow.store.assets[existing.id or 0]
    assert (soil.description, soil.signals[0].description) == ("installed by hand", "")


async def test_measurements_alone_resolve_names_against_the_organisation(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    org_id = next(iter(uow.store.organizations))
    await seed_asset(uow, org_id, "Pump", "pressure")
    report = await run(uow, write_csv(tmp_path, [f"pump,PRESSURE,{iso(T0)},2.5"]))
    assert (report.assets_created, report.points_written) == (0, 1)
    assert points_of(uow, "Pump", "pressure") == {T0: 2.5}


async def test_another_organisations_assets_are_not_seen(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    other = await seed_organization(uow, "globex")
    await seed_asset(uow, other, "Pump", "pressure")
    message = await problems_of(uow, write_csv(tmp_path, [f"Pump,pressure,{iso(T0)},2.5"]))
    assert "points.csv:2: unknown asset 'Pump'" in message


async def test_points_go_in_batches_each_its_own_statement(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    progress = Recorder()
    rows = [f"Soil Node,soil_moisture,{iso(T0 + timedelta(minutes=n))},{n}" for n in range(5)]
    files = [write_catalogue(tmp_path, CATALOGUE), write_csv(tmp_path, rows)]
    commits = uow.commits
    store = FakeTelemetryStore(uow.store)

    report = await run(uow, *files, batch_size=2, progress=progress, store=store)

    assert (report.batches, report.points_written) == (3, 5)
    assert store.writes == 3  # one atomic statement a batch
    assert uow.commits - commits == 1  # the catalogue
    assert (progress.total, progress.advances) == (5, [2, 2, 1])


async def test_a_point_repeated_in_a_file_keeps_the_last_value(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    rows = [f"Soil Node,soil_moisture,{iso(T0)},1", f"Soil Node,soil_moisture,{iso(T0)},2"]
    await run(uow, write_catalogue(tmp_path, CATALOGUE), write_csv(tmp_path, rows))
    assert points_of(uow, "Soil Node", "soil_moisture") == {T0: 2}


async def test_a_folder_stands_for_its_catalogues_and_measurements(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    write_catalogue(tmp_path, CATALOGUE)
    write_csv(tmp_path, week_rows())
    (tmp_path / "README.txt").write_text("ignored in a folder")
    report = await run(uow, tmp_path)
    assert (report.assets_created, report.points_written) == (2, 24)


async def test_an_unknown_organisation_is_not_found(uow: FakeUnitOfWork, tmp_path: Path) -> None:
    before = state(uow.store)
    with pytest.raises(NotFound, match="no organisation 'nobody'"):
        await run(uow, write_catalogue(tmp_path, CATALOGUE), slug="nobody")
    assert state(uow.store) == before


# --- bad files: named, located, and nothing written ----------------------------------------------


async def test_bad_rows_are_reported_by_line_and_nothing_is_written(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    rows = [
        f"Tractor 1,engine_temp,{iso(T0)},80",  # line 2: fine
        f"Tractor 1,engine_tmp,{iso(T0)},80",
        "Tractor 1,engine_temp,2026-03-02T08:00:00,80",
        "Tractor 1,engine_temp,yesterday,80",
        f"Tractor 1,engine_temp,{iso(T0)},warm",
        f"Tractor 1,engine_temp,{iso(T0)},nan",
        f"Tractor 1,engine_temp,{iso(T0)},80,extra",
        f"Combine,engine_temp,{iso(T0)},80",
        f",engine_temp,{iso(T0)},80",
        "",  # blank lines are fine
        f"Tractor 1,engine_temp,{iso(NOW + timedelta(minutes=6))},80",
    ]
    message = await problems_of(
        uow, write_catalogue(tmp_path, CATALOGUE), write_csv(tmp_path, rows)
    )
    csv_path = tmp_path / "points.csv"
    for expected in [
        f"{csv_path}:3: asset 'Tractor 1' has no signal 'engine_tmp'",
        f"{csv_path}:4: ts '2026-03-02T08:00:00' has no timezone",
        f"{csv_path}:5: ts 'yesterday' is not an ISO 8601 timestamp",
        f"{csv_path}:6: value 'warm' is not a number",
        f"{csv_path}:7: value 'nan' is not a finite number",
        f"{csv_path}:8: expected 4 fields, found 5",
        f"{csv_path}:9: unknown asset 'Combine'",
        f"{csv_path}:10: asset and signal must not be empty",
        f"{csv_path}:12: ts 2026-03-09T12:40:56+00:00 is in the future",
    ]:
        assert expected in message
    assert f"{csv_path}:2:" not in message


async def test_one_mistake_on_many_lines_is_reported_once(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    rows = [f"Pump,pressure,{iso(T0 + timedelta(minutes=n))},1" for n in range(10)]
    message = await problems_of(uow, write_csv(tmp_path, rows))
    assert f"{tmp_path / 'points.csv'}:2,3,4: unknown asset 'Pump'" in message
    assert "(and 7 more lines)" in message
    assert message.count("unknown asset") == 1


async def test_a_wrong_header_stops_at_line_one(uow: FakeUnitOfWork, tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_text(f"machine,signal,ts,value\nTractor 1,engine_temp,{iso(T0)},80\n")
    message = await problems_of(uow, path)
    assert f"{path}:1: expected the header asset,signal,ts,value, found machine,signal" in message


async def test_the_header_may_name_the_columns_in_any_order(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    path = tmp_path / "points.csv"
    path.write_text(f"TS, Value ,signal,asset\n{iso(T0)},1.5,soil_moisture,Soil Node\n")
    report = await run(uow, write_catalogue(tmp_path, CATALOGUE), path)
    assert report.points_written == 1
    assert points_of(uow, "Soil Node", "soil_moisture") == {T0: 1.5}


async def test_invalid_json_is_located_by_line_and_column(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    path = tmp_path / "assets.json"
    path.write_text('{"assets": [\n  {"name": "A",}\n]}')
    message = await problems_of(uow, path)
    assert f"{path}:2:16: invalid JSON" in message


async def test_catalogue_fields_are_validated_with_their_path(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    catalogue = {
        "assets": [
            {"name": "A", "signals": [{"name": "ok"}, {"name": "s", "unit": "x" * 40}]},
            {"name": "B", "colour": "red"},
        ]
    }
    message = await problems_of(uow, write_catalogue(tmp_path, catalogue))
    assert "assets.json: assets[0].signals[1].unit: String should have at most 32" in message
    assert "assets.json: assets[1].colour: Extra inputs are not permitted" in message


async def test_names_listed_twice_are_refused(uow: FakeUnitOfWork, tmp_path: Path) -> None:
    twice = {
        "assets": [
            {"name": "A", "signals": [{"name": "s"}, {"name": "S"}]},
            {"name": "a"},
        ]
    }
    message = await problems_of(uow, write_catalogue(tmp_path, twice))
    assert "assets[1]: asset 'a' is listed twice" in message
    assert "assets[0].signals[1]: signal 'S' is listed twice" in message

    first = write_catalogue(tmp_path, CATALOGUE, "one.json")
    second = write_catalogue(tmp_path, {"assets": [{"name": "soil node"}]}, "two.json")
    message = await problems_of(uow, first, second)
    assert f"{second}: asset 'soil node' is also listed in {first}" in message


async def test_files_of_unknown_kinds_are_refused(uow: FakeUnitOfWork, tmp_path: Path) -> None:
    path = tmp_path / "points.xlsx"
    path.write_bytes(b"")
    message = await problems_of(uow, path)
    assert "points.xlsx: not a .json catalogue nor a .csv of measurements" in message


# --- --shift-to-now ------------------------------------------------------------------------------


async def test_shifting_moves_the_newest_point_to_now_by_whole_steps(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    files = [write_catalogue(tmp_path, CATALOGUE), write_csv(tmp_path, week_rows())]
    report = await run(uow, *files, shift_to_now=True)

    newest = T0 + timedelta(minutes=55)  # the soil node's last point
    # Signals sampled every 10 and 5 minutes: the shift is whole 10 minutes, so each signal
    # keeps its own grid, and the newest point lands within one step before now.
    assert report.shift % timedelta(minutes=10) == timedelta(0)
    assert NOW - timedelta(minutes=10) < newest + report.shift <= NOW
    soil = sorted(points_of(uow, "Soil Node", "soil_moisture"))
    assert soil[-1] == newest + report.shift
    assert soil[-1] - soil[0] == timedelta(minutes=55)


async def test_shifting_lets_data_stamped_in_the_future_in(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    ahead = NOW + timedelta(days=2)
    rows = [f"Soil Node,soil_moisture,{iso(ahead)},1"]
    report = await run(
        uow, write_catalogue(tmp_path, CATALOGUE), write_csv(tmp_path, rows), shift_to_now=True
    )
    assert report.shift < timedelta(0)
    assert list(points_of(uow, "Soil Node", "soil_moisture")) == [NOW.replace(microsecond=0)]


async def test_a_later_shifted_seed_lands_on_the_first_seeds_grid(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    files = [write_catalogue(tmp_path, CATALOGUE), write_csv(tmp_path, week_rows())]
    await run(uow, *files, shift_to_now=True)
    later = NOW + timedelta(minutes=37)
    await run(uow, *files, shift_to_now=True, now=later)

    temps = sorted(points_of(uow, "Tractor 1", "engine_temp"))
    gaps = {b - a for a, b in itertools.pairwise(temps)}
    assert gaps == {timedelta(minutes=10)}  # extended, not interleaved
    assert len(temps) == 6 + 4  # 37 minutes later: four steps of 10 minutes


def test_the_step_is_a_second_when_no_signal_has_two_points() -> None:
    scan = seed_scan.Scan()
    scan.saw(seed_files.Row(2, "A", "s", T0 + timedelta(seconds=7.5), 1.0))
    assert scan.step == timedelta(seconds=1)
    assert seed_scan.shift_for(scan, NOW) % timedelta(seconds=1) == timedelta(0)


# --- the demo tenant -----------------------------------------------------------------------------


async def test_the_demo_is_created_once_with_an_admin_key(tmp_path: Path) -> None:
    uow = FakeUnitOfWork()
    files = [write_catalogue(tmp_path, CATALOGUE), write_csv(tmp_path, week_rows())]

    store = FakeTelemetryStore(uow.store)
    demo = await seed_demo.bootstrap_demo(uow, store, files, max_future=SKEW, now=NOW)

    assert demo is not None
    org = await uow.organizations.get_by_slug("demo")
    assert org is not None
    assert demo.report.organization.id == org.id
    assert demo.key.key.role is Role.admin
    assert demo.key.key.organization_id == org.id
    assert demo.report.points_written == 24
    assert NOW - timedelta(minutes=10) < T0 + timedelta(minutes=55) + demo.report.shift <= NOW

    before = state(uow.store)
    assert await seed_demo.bootstrap_demo(uow, store, files, max_future=SKEW, now=NOW) is None
    assert state(uow.store) == before


def test_the_committed_demo_data_is_valid_and_small() -> None:
    """data/demo parses, every row names a declared signal, and it stays small enough to ship."""
    catalogues, measurements = seed_files.split_files([PROJECT / "data" / "demo"])
    assert [p.name for p in catalogues] == ["assets.json"]
    assert [p.name for p in measurements] == ["measurements.csv"]
    catalogue = seed_files.read_catalogue(catalogues[0])
    declared = {(a.name, s.name) for a in catalogue.assets for s in a.signals}
    assert len(catalogue.assets) >= 5
    rows = list(seed_files.read_rows(measurements[0]))
    assert not [r for r in rows if isinstance(r, seed_files.RowError)]
    points = [r for r in rows if isinstance(r, seed_files.Row)]
    assert {(r.asset, r.signal) for r in points} == declared  # every signal has readings
    span = max(r.ts for r in points) - min(r.ts for r in points)
    assert timedelta(days=6) < span <= timedelta(days=7)
    assert 10_000 < len(points) < 100_000
    assert measurements[0].stat().st_size < 3_000_000
