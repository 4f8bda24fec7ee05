"""`assetwatch migrate …` on fresh databases: what operators and Kubernetes Jobs run."""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from assetwatch.cli import app
from assetwatch.cli import migrate as migrate_cli
from assetwatch.config import get_settings
from assetwatch.db import migrations
from tests.integration.conftest import PgServer
from tests.integration.migrations.catalog import HEAD, REVISIONS, connect, current

pytestmark = pytest.mark.migration

ASSETWATCH = str(Path(sys.executable).parent / "assetwatch")  # the installed entry point


@pytest.fixture
def cli(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """Runs `assetwatch` in-process with DATABASE_URL set to this test's fresh database."""
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(runner: CliRunner, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, ["migrate", *args], input=stdin)


def test_up_says_what_ran_from_where_to_where_and_how_long(cli: CliRunner) -> None:
    result = run(cli, "up")

    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        rf"upgraded base → {HEAD} \(head\): {len(REVISIONS)} revisions in \d+\.\d\ds\n",
        result.stdout,
    )
    for revision in REVISIONS:
        assert re.search(rf"applied {revision} .+ \(\d+\.\d\ds\)", result.stderr)

    again = run(cli, "up")
    assert again.exit_code == 0
    assert re.fullmatch(
        rf"already at {HEAD} \(head\): nothing to do \(\d+\.\d\ds\)\n", again.stdout
    )


def test_up_to_a_revision_and_down_one_step(cli: CliRunner, fresh_database_url: str) -> None:
    assert run(cli, "up", "0002").exit_code == 0
    assert run(cli, "current").stdout == f"0002 (head is {HEAD})\n"

    down = run(cli, "down", "-1")

    assert down.exit_code == 0, down.output
    assert down.stdout.startswith("downgraded 0002 → 0001 (head is")
    assert "undid 0002" in down.stderr
    assert current(fresh_database_url) == {"0001"}


def test_down_needs_a_target(cli: CliRunner) -> None:
    result = run(cli, "down")
    assert result.exit_code == 2
    assert "Missing argument" in result.output


def test_down_to_base_is_refused_without_yes_when_nobody_can_confirm(
    cli: CliRunner, fresh_database_url: str
) -> None:
    run(cli, "up")

    refused = run(cli, "down", "base")

    assert refused.exit_code == 2
    assert "refusing `down base` without --yes" in refused.stderr
    assert current(fresh_database_url) == {HEAD}

    confirmed = run(cli, "down", "base", "--yes")
    assert confirmed.exit_code == 0, confirmed.output
    assert current(fresh_database_url) == frozenset()


def test_down_to_base_asks_at_a_terminal(
    cli: CliRunner, fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(cli, "up")
    monkeypatch.setattr(migrate_cli, "_interactive", lambda: True)

    declined = run(cli, "down", "base", stdin="n\n")
    assert declined.exit_code == 1
    assert current(fresh_database_url) == {HEAD}

    accepted = run(cli, "down", "base", stdin="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert current(fresh_database_url) == frozenset()


def test_an_unknown_target_is_an_error_not_a_traceback(cli: CliRunner) -> None:
    result = run(cli, "up", "nope")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")


def test_check_passes_only_at_head(cli: CliRunner) -> None:
    assert run(cli, "check").exit_code == 1
    run(cli, "up", "0001")
    behind = run(cli, "check")
    assert behind.exit_code == 1
    assert "not at head: database at 0001" in behind.stderr
    run(cli, "up")
    at_head = run(cli, "check")
    assert at_head.exit_code == 0
    assert at_head.stdout == f"at head: {HEAD}\n"


def test_check_reports_a_revision_from_a_newer_image(
    cli: CliRunner, fresh_database_url: str
) -> None:
    run(cli, "up")
    with connect(fresh_database_url) as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        connection.commit()

    result = run(cli, "check")

    assert result.exit_code == 1
    assert "9999 (unknown to this build" in result.stderr


def test_history_lists_every_revision_oldest_first(cli: CliRunner) -> None:
    lines = run(cli, "history").stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "base -> 0001",
        "0001 -> 0002",
        "0002 -> 0003",
        "0003 -> 0004",
        "0004 -> 0005",
        "0005 -> 0006",
        "0006 -> 0007",
        "0007 -> 0008 (head)",
    ]


def test_wait_returns_at_once_at_head_and_times_out_behind_it(cli: CliRunner) -> None:
    run(cli, "up", "0002")
    started = time.monotonic()
    behind = run(cli, "wait", "--timeout", "1", "--interval", "0.2")
    assert behind.exit_code == 1
    assert time.monotonic() - started < 10
    assert f"timed out after 1s; last seen: waiting: database at 0002 (head is {HEAD})" in (
        behind.stderr
    )

    run(cli, "up")
    ready = run(cli, "wait", "--timeout", "5")
    assert ready.exit_code == 0
    assert ready.stdout == f"at head: {HEAD}\n"


def test_wait_rides_out_an_unreachable_database_until_it_is_migrated(pg: PgServer) -> None:
    """The init container starts before the database exists; it must wait, not crash."""
    name = f"aw_late_{os.getpid()}"
    url = pg.url_for(name)
    env = {**os.environ, "DATABASE_URL": url}
    waiter = subprocess.Popen(
        [ASSETWATCH, "migrate", "wait", "--timeout", "60", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert waiter.stderr is not None
        first = waiter.stderr.readline()  # blocks until the first poll has failed
        assert first.startswith("database unreachable:"), first
        assert waiter.poll() is None, "still waiting"
        with pg.janitor(name):
            migrations.upgrade(url)
            stdout, stderr = waiter.communicate(timeout=30)
    finally:
        waiter.kill()
        waiter.wait()
    assert waiter.returncode == 0, stderr
    assert stdout == f"at head: {HEAD}\n"


def test_sql_renders_the_concurrent_index_build_outside_any_transaction(cli: CliRunner) -> None:
    result = run(cli, "sql", "0002:0003")

    assert result.exit_code == 0, result.output
    statements = [s.strip() for s in result.stdout.split(";") if s.strip()]
    build = next(i for i, s in enumerate(statements) if "CREATE INDEX CONCURRENTLY" in s)
    opened = [i for i, s in enumerate(statements[:build]) if s.endswith(("BEGIN", "COMMIT"))]
    assert statements[opened[-1]].endswith("COMMIT"), statements
    assert statements[0] == "SET lock_timeout = '5s'"


def test_sql_writes_one_file_per_revision(cli: CliRunner, tmp_path: Path) -> None:
    assert run(cli, "sql", "--out-dir", str(tmp_path)).exit_code == 0
    assert run(cli, "sql", "--down", "--out-dir", str(tmp_path)).exit_code == 0
    files = sorted(p.name for p in tmp_path.iterdir())
    stems = [Path(s.path).stem for s in migrations.history()]
    assert files == sorted([f"{s}.down.sql" for s in stems] + [f"{s}.up.sql" for s in stems])
    downgrades = {stem[:13]: (tmp_path / f"{stem}.down.sql").read_text() for stem in stems}
    assert "DROP INDEX CONCURRENTLY" in downgrades["20261122_0003"]
    assert "VALIDATE CONSTRAINT fk_measurements_signal_id_signals" in downgrades["20261202_0004"]


# --- two Jobs at once ------------------------------------------------------------------------

WAITING_FOR_THE_LOCK = "another migration is running"


def _blocked_on_a_table_lock(url: str) -> int:
    with connect(url) as connection:
        return int(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
                )
            )
        )


def test_two_concurrent_migrate_up_runs_both_succeed_and_apply_the_schema_once(
    fresh_database_url: str, tmp_path: Path
) -> None:
    """Two `migrate up` processes released at the same instant onto an empty database.

    To make them really race, the test creates the (empty) version table Alembic would create,
    holds an exclusive lock on it, starts both processes, and lets go only once each of them is
    either blocked on that table (reading the version) or waiting for the migration lock.
    Without the advisory lock both read "base" and both try to apply 0001: one of them fails.
    """
    env = {**os.environ, "DATABASE_URL": fresh_database_url}
    logs = [tmp_path / f"job{i}.err" for i in (1, 2)]
    jobs: list[subprocess.Popen[str]] = []
    with ExitStack() as cleanup:
        # Whatever fails below, no run is left behind connected to the database.
        cleanup.callback(lambda: [(job.kill(), job.wait()) for job in jobs])
        gate = cleanup.enter_context(connect(fresh_database_url))
        gate.execute(
            text(
                "CREATE TABLE alembic_version (version_num varchar(32) NOT NULL,"
                " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
            )
        )
        gate.commit()
        gate.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
        for log in logs:
            jobs.append(
                subprocess.Popen(
                    [ASSETWATCH, "migrate", "up", "--lock-timeout", "60s"],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=cleanup.enter_context(log.open("w")),
                    text=True,
                )
            )
        deadline = time.monotonic() + 60
        while True:
            lock_waiters = sum(WAITING_FOR_THE_LOCK in log.read_text() for log in logs)
            if _blocked_on_a_table_lock(fresh_database_url) + lock_waiters >= 2:
                break
            assert all(job.poll() is None for job in jobs), [log.read_text() for log in logs]
            assert time.monotonic() < deadline, "the two runs never reached the gate"
            time.sleep(0.05)
        gate.commit()  # releases the table: both go
        outputs = [job.communicate(timeout=60)[0] for job in jobs]
    errors = [log.read_text() for log in logs]
    assert [job.returncode for job in jobs] == [0, 0], "\n\n".join(errors)
    summaries = sorted(outputs)
    assert summaries[0].startswith(f"already at {HEAD} (head): nothing to do"), summaries
    assert "waited" in summaries[0]
    assert summaries[1].startswith(f"upgraded base → {HEAD} (head): {len(REVISIONS)} revisions")
    with connect(fresh_database_url) as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
            (HEAD,)
        ]
        indexes = connection.execute(
            text("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_assets_tags'::regclass")
        ).all()
        assert indexes == [(True,)]
