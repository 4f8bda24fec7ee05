"""`assetwatch seed`: import assets, signals and measurements from files into an organisation."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from assetwatch.cli._common import database, err, run_use_case
from assetwatch.config import get_settings
from assetwatch.services import seed_demo, seeding


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} points/s" if speed else "", style="progress.data.speed")


class BarProgress:
    """`seeding.Progress` drawn as a rich progress bar on stderr (stdout stays for scripts)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = progress.add_task("points", total=None, visible=False)

    def start(self, total_points: int) -> None:
        self._progress.update(self._task, total=total_points, visible=total_points > 0)

    def advance(self, points: int) -> None:
        self._progress.advance(self._task, points)


@contextmanager
def progress_bar() -> Iterator[BarProgress]:
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        yield BarProgress(progress)


def describe(report: seeding.SeedReport) -> list[str]:
    lines = [
        f"assets: {report.assets_created} created, {report.assets_updated} updated, "
        f"{report.assets_unchanged} unchanged; signals: {report.signals_created} created, "
        f"{report.signals_updated} updated",
        f"points: {report.points_written:,} written in {report.batches} batch(es), "
        f"{report.seconds:.1f}s ({report.points_per_second:,.0f} points/s)",
    ]
    if report.shift:
        lines.append(f"timestamps shifted by {_duration(report.shift)} to end at now")
    return lines


def _duration(delta: timedelta) -> str:
    sign = "-" if delta < timedelta(0) else "+"
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    return f"{sign}{days}d {hours:02d}h{minutes:02d}m"


def seed(
    files: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            readable=True,
            help="*.json catalogues (assets, signals), *.csv measurements "
            "(asset,signal,ts,value), or folders of them",
        ),
    ],
    org: Annotated[str, typer.Option(help="slug of the organisation to seed (must exist)")],
    shift_to_now: Annotated[
        bool,
        typer.Option(
            "--shift-to-now",
            help="move every timestamp by one offset so the newest point lands at (or just "
            "before) now; the offset is whole steps of the data's spacing",
        ),
    ] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="points per transaction")
    ] = seeding.DEFAULT_BATCH_SIZE,
) -> None:
    """Import assets and signals (JSON) and measurements (CSV) into an organisation.

    Idempotent (assets and signals are reused by name, points upsert); files are checked first.
    """
    settings = get_settings()
    max_future = timedelta(seconds=settings.ingest_max_future_seconds)
    with database(settings) as url, progress_bar() as bar:
        report = run_use_case(
            url,
            lambda runtime: seeding.seed(
                runtime.unit_of_work(),
                runtime.telemetry,
                org,
                files,
                max_future=max_future,
                shift_to_now=shift_to_now,
                batch_size=batch_size,
                progress=bar,
            ),
        )
    err(f"seeded organisation {report.organization.slug}:")
    for line in describe(report):
        err(f"  {line}")


# --- `assetwatch serve --demo` -------------------------------------------------------------------

DEMO_DATA = Path(__file__).resolve().parents[3] / "data" / "demo"  # the source tree's data/demo
_ANY_INTERFACE = {"", "0.0.0.0", "::"}  # noqa: S104 (recognised, not bound)
# GNU date, else BSD/macOS date: an hour ago in UTC, as the API wants it (no '+' to escape).
_HOUR_AGO = "$(date -u -d '-1 hour' +%FT%TZ 2>/dev/null || date -u -v-1H +%FT%TZ)"


def client_base_url(host: str, port: int) -> str:
    """Where a client on this machine reaches a server bound to HOST:PORT."""
    if host in _ANY_INTERFACE:
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def demo_instructions(demo: seed_demo.DemoTenant, base: str) -> list[str]:
    """The key, three curl commands that work (with the ids the seed just created) and the
    explorer's address."""
    report = demo.report
    auth = '-H "Authorization: Bearer $AW_KEY"'
    lines = [
        f"demo organisation {report.organization.slug!r} created and seeded "
        f"({report.assets_created} assets, {report.signals_created} signals, "
        f"{report.points_written:,} points ending now, {report.seconds:.1f}s).",
        "Its admin API key, shown only now:",
        "",
        f"  export AW_KEY={demo.key.token}",
        "",
    ]
    asset = next((a for a in report.assets if a.signal_ids), None)
    if asset is None:  # never with data/demo: a catalogue without signals
        return [*lines, f"  curl -s {auth} {base}/v1/assets", ""]
    signal_name, signal_id = next(iter(asset.signal_ids.items()))
    return [
        *lines,
        f"Try it: the assets; the latest state of {asset.name}; its {signal_name} in the last hour",
        "",
        f"  curl -s {auth} {base}/v1/assets",
        f"  curl -s {auth} {base}/v1/assets/{asset.id}/latest",
        f'  curl -s {auth} "{base}/v1/signals/{signal_id}/measurements?start={_HOUR_AGO}"',
        "",
        "Or see them in a browser: the explorer asks for the key once",
        "",
        f"  {base}/explorer/",
        "",
    ]


def bootstrap_demo(url: str, base: str, data: Path = DEMO_DATA) -> list[str]:
    """Create and seed the demo organisation on its first start; what to tell the user."""
    exists = run_use_case(url, lambda runtime: seed_demo.demo_exists(runtime.unit_of_work()))
    if exists:
        return [
            f"demo organisation {seed_demo.DEMO_SLUG!r} exists (seeded on an earlier start). "
            "A new admin key:",
            f"  assetwatch keys create --org {seed_demo.DEMO_SLUG} --role admin",
        ]
    if not data.is_dir():
        return [f"no demo data at {data} (it ships with the source tree): no demo organisation"]
    max_future = timedelta(seconds=get_settings().ingest_max_future_seconds)
    err(f"creating the demo organisation {seed_demo.DEMO_SLUG!r} from {data} …")
    with progress_bar() as bar:
        demo = run_use_case(
            url,
            lambda runtime: seed_demo.bootstrap_demo(
                runtime.unit_of_work(),
                runtime.telemetry,
                [data],
                max_future=max_future,
                progress=bar,
            ),
        )
    if demo is None:  # another process created it between the check and now
        return [f"demo organisation {seed_demo.DEMO_SLUG!r} exists"]
    return demo_instructions(demo, base)
