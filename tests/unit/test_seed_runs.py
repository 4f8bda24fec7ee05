"""A seed run: what its report counts, where its time limits lie, and files that change under it."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assetwatch.domain import InvalidInput, Role
from assetwatch.services import api_keys, seed_check, seed_demo, seeding
from tests.unit.fakes import (
    FakeTelemetryStore,
    FakeUnitOfWork,
    principal,
    seed_asset,
    seed_organization,
)

SKEW = timedelta(minutes=5)
NOW = datetime(2026, 3, 9, 12, 34, 56, tzinfo=UTC)


@pytest.fixture
async def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    await seed_organization(uow, "acme")
    return uow


def org_id(uow: FakeUnitOfWork) -> int:
    return next(iter(uow.store.organizations))


def catalogue(folder: Path, *assets: dict[str, Any], name: str = "assets.json") -> Path:
    path = folder / name
    path.write_text(json.dumps({"assets": list(assets)}), encoding="utf-8")
    return path


def measurements(folder: Path, *rows: str, name: str = "points.csv") -> Path:
    path = folder / name
    path.write_text("\n".join(["asset,signal,ts,value", *rows]) + "\n", encoding="utf-8")
    return path


def pump_rows(*stamps: datetime) -> list[str]:
    return [f"Pump,pressure,{ts.isoformat()},{n}" for n, ts in enumerate(stamps)]


async def run(uow: FakeUnitOfWork, *paths: Path, **options: Any) -> seeding.SeedReport:
    options.setdefault("now", NOW)
    store = FakeTelemetryStore(uow.store)
    return await seeding.seed(uow, store, "acme", list(paths), max_future=SKEW, **options)


async def refusal(uow: FakeUnitOfWork, *paths: Path, **options: Any) -> list[str]:
    with pytest.raises(InvalidInput) as refused:
        await run(uow, *paths, **options)
    return [e.msg for e in refused.value.errors]


async def test_the_report_counts_each_asset_and_signal_created_or_updated(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    for name, *signals in [("Pump", "a", "b"), ("Fan",), ("Gate", "open"), ("Shed",)]:
        await seed_asset(uow, org_id(uow), name, *signals)  # each signal's unit: "u"
    report = await run(
        uow,
        catalogue(
            tmp_path,
            {"name": "Pump", "signals": [{"name": n, "unit": "bar"} for n in "abcd"]},
            {"name": "Fan", "kind": "fan"},  # only a field
            {"name": "Gate", "signals": [{"name": "open", "unit": "%"}]},  # only a signal's unit
            {"name": "Shed", "signals": [{"name": "door"}]},  # only a new signal
            {"name": "Barn"},
        ),
    )
    assert (report.assets_created, report.assets_updated, report.assets_unchanged) == (1, 4, 0)
    assert (report.signals_created, report.signals_updated) == (3, 3)
    stored = {a.name: a.id for a in uow.store.assets.values()}
    assert [(a.name, a.id) for a in report.assets] == list(stored.items())


async def test_the_report_counts_points_read_and_batches_of_one(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    await seed_asset(uow, org_id(uow), "Pump", "pressure")
    stamps = [NOW - timedelta(hours=h) for h in (3, 2, 1)]
    report = await run(uow, measurements(tmp_path, *pump_rows(*stamps)), batch_size=1)
    assert (report.points_read, report.points_written, report.batches) == (3, 3, 3)
    assert 0 <= report.seconds < 60
    assert report.points_per_second == (3 / report.seconds if report.seconds else 0.0)


async def test_a_batch_size_below_one_is_refused(uow: FakeUnitOfWork, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^batch_size must be positive$"):
        await run(uow, catalogue(tmp_path), batch_size=0)


async def test_points_up_to_the_allowed_skew_ahead_are_written(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    await seed_asset(uow, org_id(uow), "Pump", "pressure")
    rows = pump_rows(NOW - timedelta(minutes=1), NOW + SKEW)
    assert (await run(uow, measurements(tmp_path, *rows))).points_written == 2


async def test_every_line_is_checked_after_a_point_from_the_future(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    await seed_asset(uow, org_id(uow), "Pump", "pressure")
    ahead = NOW + SKEW + timedelta(seconds=1)
    path = measurements(tmp_path, *pump_rows(ahead), "Pomp,pressure,2026-03-02T08:00:00Z,1")
    assert await refusal(uow, path) == [
        f"{path}:2: ts {ahead.isoformat()} is in the future",
        f"{path}:3: unknown asset 'Pomp' (not in the catalogues nor in 'acme')",
    ]


async def test_a_shifted_seed_without_measurements_shifts_nothing(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    report = await run(uow, catalogue(tmp_path, {"name": "Pump"}), shift_to_now=True)
    assert report.shift == timedelta(0)


async def test_every_broken_catalogue_and_every_repeated_asset_is_reported(
    uow: FakeUnitOfWork, tmp_path: Path
) -> None:
    broken = [tmp_path / "a.json", tmp_path / "b.json"]
    for path in broken:
        path.write_text("{", encoding="utf-8")
    first = catalogue(tmp_path, {"name": "Pump"}, {"name": "Fan"}, name="c.json")
    second = catalogue(tmp_path, {"name": "PUMP"}, {"name": "fan"}, name="d.json")
    assert await refusal(uow, *broken, first, second) == [
        f"{broken[0]}:1:2: invalid JSON: Expecting property name enclosed in double quotes",
        f"{broken[1]}:1:2: invalid JSON: Expecting property name enclosed in double quotes",
        f"{second}: asset 'PUMP' is also listed in {first}",
        f"{second}: asset 'fan' is also listed in {first}",
    ]


class Recorder:
    """A `seeding.Progress` that remembers what it was told."""

    def __init__(self) -> None:
        self.total, self.advanced = 0, 0

    def start(self, total_points: int) -> None:
        self.total = total_points

    def advance(self, points: int) -> None:
        self.advanced += points


class Meddler:
    """A `seeding.Progress` that changes the measurements file once the check pass is over."""

    def __init__(self, path: Path, content: str | None) -> None:
        self.path, self.content = path, content

    def start(self, total_points: int) -> None:
        if self.content is None:
            self.path.unlink()
        else:
            self.path.write_text(self.content, encoding="utf-8")

    def advance(self, points: int) -> None:
        pass


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            "asset,signal,ts,value\nPump,pressure,2026-03-02T08:00:00Z,oops\n",
            ":2: value 'oops' is not a number",
        ),
        (None, ": cannot read: No such file or directory"),
    ],
    ids=["a bad row", "gone"],
)
async def test_a_file_changed_after_the_check_is_refused_where_it_went_wrong(
    uow: FakeUnitOfWork, tmp_path: Path, content: str | None, problem: str
) -> None:
    await seed_asset(uow, org_id(uow), "Pump", "pressure")
    path = measurements(tmp_path, *pump_rows(NOW - timedelta(hours=1)))
    problems = await refusal(uow, path, progress=Meddler(path, content))
    assert [p.removeprefix(str(path)) for p in problems] == [problem]


async def test_all_assets_reads_every_page_once(uow: FakeUnitOfWork) -> None:
    org = org_id(uow)
    created = [await seed_asset(uow, org, f"asset {n}") for n in range(seed_check.LIST_PAGE + 1)]
    found = await seed_check.all_assets(uow, org)
    assert [a.id for a in found] == [a.id for a in created]


async def test_the_demo_may_take_another_slug_and_reports_its_progress(tmp_path: Path) -> None:
    uow = FakeUnitOfWork()
    await seed_organization(uow, seed_demo.DEMO_SLUG)
    progress = Recorder()
    files = [
        catalogue(tmp_path, {"name": "Pump", "signals": [{"name": "pressure"}]}),
        measurements(tmp_path, *pump_rows(NOW - timedelta(hours=1))),
    ]
    demo = await seed_demo.bootstrap_demo(
        uow,
        FakeTelemetryStore(uow.store),
        files,
        max_future=SKEW,
        slug="trial",
        progress=progress,
        now=NOW,
    )
    assert demo is not None
    assert (demo.report.organization.slug, progress.total, progress.advanced) == ("trial", 1, 1)
    assert demo.key.key.role is Role.admin
    listed = await api_keys.list_keys(
        uow, principal(demo.key.key.organization_id, Role.admin), cursor=None, limit=5
    )
    assert [k.name for k in listed.items] == ["demo admin"]
