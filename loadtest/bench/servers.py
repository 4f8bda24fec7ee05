"""The servers `make bench` measures: one embedded PostgreSQL with a database for each, the
floor app and `assetwatch serve` on 127.0.0.1, started and stopped here."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from loadtest.live_server import free_port

from assetwatch.db import migrations
from assetwatch.embedded_db import embedded_postgres

ROOT = Path(__file__).resolve().parents[2]
SIGNALS = 10  # of the one asset each server's requests go to
READY_SECONDS = 60
STOP_SECONDS = 20


@dataclass(frozen=True)
class Target:
    """A running server and what a request to it needs."""

    name: str  # "floor" or "assetwatch"
    port: int
    key: str  # an admin API key (the floor ignores it)
    signals: list[int]
    ingest_path: str
    read_template: str  # a read's path, "{id}" standing for the signal
    database_url: str
    pid: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def analyze(self) -> None:
        """Fresh planner statistics, as autovacuum keeps them in steady state.

        Right after the ingest phases the statistics still say the table is empty, and the
        planner reads all 15,000 points of a signal and sorts them instead of walking the
        primary key backwards: 5 ms a read instead of 0.1 ms, on the floor and assetwatch alike.
        """
        with psycopg.connect(plain(self.database_url), autocommit=True) as conn:
            conn.execute("ANALYZE measurements")


@dataclass(frozen=True)
class Tenant:
    """What `prepare_database` made: an organisation, its admin key and one asset's signals."""

    key: str
    signals: list[int]
    organization_id: int


def plain(url: str) -> str:
    """A SQLAlchemy URL as psycopg takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _assetwatch() -> str:
    return str(Path(sys.executable).with_name("assetwatch"))


def prepare_database(url: str, env: dict[str, str]) -> Tenant:
    """Migrate; an organisation and admin key through the CLI; one asset with SIGNALS signals."""
    migrations.upgrade(url)
    cli_env = {**env, "DATABASE_URL": url}
    subprocess.run(
        [_assetwatch(), "orgs", "create", "--slug", "bench", "--name", "Bench"],
        env=cli_env,
        check=True,
        capture_output=True,
    )
    key = subprocess.run(
        [_assetwatch(), "keys", "create", "--org", "bench", "--role", "admin", "--name", "bench"],
        env=cli_env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with psycopg.connect(plain(url), autocommit=True) as conn:
        asset, organization = conn.execute(
            "INSERT INTO assets (organization_id, name, kind) SELECT id, 'bench', 'bench' "
            "FROM organizations WHERE slug = 'bench' RETURNING id, organization_id"
        ).fetchone() or (None, 0)
        signals = [
            row[0]
            for n in range(SIGNALS)
            for row in conn.execute(
                "INSERT INTO signals (asset_id, name) VALUES (%s, %s) RETURNING id",
                (asset, f"s{n}"),
            )
        ]
    return Tenant(key, signals, organization)


def server_version(url: str) -> str:
    with psycopg.connect(plain(url), autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0] if row else "?")


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not ready in {READY_SECONDS} s:\n{log.read_text()[-3000:]}")


@contextmanager
def _process(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A process writing to `log`, terminated (killed if it lingers) when the block ends."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _floor_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "loadtest.bench.floor_app:app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def _assetwatch_command(port: int, workers: int) -> list[str]:
    return [
        _assetwatch(), "serve", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers),
    ]  # fmt: skip


@contextmanager
def bench_servers(
    tmp: Path, workers: int, pg_settings: dict[str, str]
) -> Iterator[tuple[list[Target], str]]:
    """The floor and assetwatch, each on `workers` uvicorn workers and a database of its own
    on one embedded PostgreSQL (with `pg_settings`); the targets, floor first, and PostgreSQL's
    version. Everything is stopped when the block ends."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"LOG_LEVEL": "WARNING", "LOG_FORMAT": "json"}
    with (
        embedded_postgres(
            tmp, cleanup="delete", database="floor", settings=pg_settings
        ) as floor_url,
        ExitStack() as processes,
    ):
        with psycopg.connect(plain(floor_url), autocommit=True) as conn:
            conn.execute("CREATE DATABASE assetwatch")
        aw_url = floor_url.replace("/floor", "/assetwatch", 1)
        assert aw_url != floor_url, floor_url
        floor, aw = prepare_database(floor_url, env), prepare_database(aw_url, env)
        floor_port, aw_port = free_port(), free_port()
        floor_env = {
            **env,
            "FLOOR_DATABASE_URL": floor_url,
            "FLOOR_ORGANIZATION_ID": str(floor.organization_id),
            "PYTHONPATH": str(ROOT),
        }
        floor_log, aw_log = tmp / "floor.log", tmp / "assetwatch.log"
        floor_proc = processes.enter_context(
            _process(_floor_command(floor_port, workers), floor_env, floor_log)
        )
        aw_proc = processes.enter_context(
            _process(_assetwatch_command(aw_port, workers), {**env, "DATABASE_URL": aw_url}, aw_log)
        )
        wait_ready(f"http://127.0.0.1:{floor_port}/floor/signals/0/last100", floor_proc, floor_log)
        wait_ready(f"http://127.0.0.1:{aw_port}/readyz", aw_proc, aw_log)
        targets = [
            Target(
                "floor", floor_port, floor.key, floor.signals, "/floor/measurements",
                "/floor/signals/{id}/last100", floor_url, floor_proc.pid,
            ),
            Target(
                "assetwatch", aw_port, aw.key, aw.signals, "/v1/measurements",
                "/v1/signals/{id}/measurements?order=desc&limit=100", aw_url, aw_proc.pid,
            ),
        ]  # fmt: skip
        yield targets, server_version(floor_url)


def _stat(pid: str) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants (the workers of `--workers N`)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = _stat(entry.name)
            except OSError:  # it ended between the listing and the read
                continue
            parents[int(entry.name)] = int(fields[1])
            ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    return sum(ticks.get(member, 0) for member in tree) / os.sysconf("SC_CLK_TCK")
