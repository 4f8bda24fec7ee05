"""`assetwatch migrate …`: apply, roll back, inspect and gate on migrations.

Output: Alembic logs each revision as it starts and this module each one as it finishes, on
stderr; the one-line summary (from → to, how many revisions, how long) goes to stdout.
"""

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from alembic.util import CommandError
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import pool
from sqlalchemy.exc import OperationalError

from assetwatch.cli._common import database, err
from assetwatch.db import migrations
from assetwatch.db.migrations import Run, Step, describe

app = typer.Typer(
    help="Apply, roll back, inspect and gate on database migrations", no_args_is_help=True
)

# "-1" must reach `down` as a revision, not be parsed as an unknown option.
_ACCEPTS_RELATIVE = {"ignore_unknown_options": True}


class _AlembicNoise(logging.Filter):
    """Drop Alembic's two start-up lines; keep its "Running upgrade a -> b" lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(("Context impl", "Will assume"))


@app.callback()
def _setup() -> None:
    logging.getLogger("alembic.runtime.migration").addFilter(_AlembicNoise())


def _label(revisions: frozenset[str]) -> str:
    """The revisions a database is at, said relative to what this build knows."""
    heads = migrations.head_revisions()
    if revisions == heads:
        return f"{describe(revisions)} (head)"
    unknown = revisions - migrations.known_revisions()
    if unknown:
        return (
            f"{describe(revisions)} (unknown to this build: migrated by a newer image? "
            "roll back with that image's `migrate down`)"
        )
    if not revisions:
        return "base (empty)"
    return f"{describe(revisions)} (head is {describe(heads)})"


def _current(url: str, *, connect_timeout: int | None = None) -> frozenset[str]:
    connect_args = {"connect_timeout": connect_timeout} if connect_timeout else {}
    engine = create_sync_engine(url, poolclass=pool.NullPool, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            return migrations.current_revisions(conn)
    finally:
        engine.dispose()


def _summary(run: Run, verb: str) -> str:
    count = len(run.steps)
    if count == 0:
        text = f"already at {_label(run.after)}: nothing to do ({run.seconds:.2f}s)"
    else:
        plural = "" if count == 1 else "s"
        text = (
            f"{verb} {describe(run.before)} → {_label(run.after)}: "
            f"{count} revision{plural} in {run.seconds:.2f}s"
        )
    if run.lock_wait_seconds >= 0.01:
        text += f" (waited {run.lock_wait_seconds:.2f}s for the migration lock)"
    return text


def _report_step(step: Step) -> None:
    err(f"  {step}")


LockTimeout = Annotated[
    str,
    typer.Option(
        help="how long one DDL statement may wait for its table lock before the run fails "
        "(500ms, 5s, 1min; 0 waits forever)"
    ),
]


def _interactive() -> bool:
    return sys.stdin.isatty()


def _check_lock_timeout(lock_timeout: str) -> None:
    try:
        migrations.session_settings(lock_timeout)
    except ValueError as error:
        err(f"error: {error}")
        raise typer.Exit(2) from error


def _migrate(
    action: Callable[..., Run], url: str, revision: str, verb: str, lock_timeout: str
) -> None:
    steps: list[Step] = []

    def on_step(step: Step) -> None:
        steps.append(step)
        _report_step(step)

    try:
        run = action(url, revision, on_step=on_step, lock_timeout=lock_timeout)
    except CommandError as error:
        err(f"error: {error}")
        raise typer.Exit(2) from error
    except Exception as error:
        # No traceback with locals: they would print the database URL and its password.
        done = ", ".join(s.revision for s in steps) or "nothing"
        err(f"error: {type(error).__name__}: {error}")
        err(f"completed before the failure: {done}; the failing revision was rolled back")
        raise typer.Exit(1) from error
    typer.echo(_summary(run, verb))


@app.command("up")
def migrate_up(
    revision: Annotated[str, typer.Argument(help="target: a revision, +N, or head")] = "head",
    lock_timeout: LockTimeout = migrations.DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Upgrade the database to REVISION (default: head)."""
    _check_lock_timeout(lock_timeout)
    with database() as url:
        _migrate(migrations.upgrade, url, revision, "upgraded", lock_timeout)


@app.command("down", context_settings=_ACCEPTS_RELATIVE)
def migrate_down(
    revision: Annotated[str, typer.Argument(help="target: a revision, -N (e.g. -1), or base")],
    yes: Annotated[
        bool, typer.Option("--yes", help="confirm `base` (drops every table) without asking")
    ] = False,
    lock_timeout: LockTimeout = migrations.DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Downgrade the database to REVISION, with the image that knows the revisions to undo."""
    if revision.startswith("-") and not revision[1:].isdigit():
        err(f"error: no such option: {revision}")
        raise typer.Exit(2)
    _check_lock_timeout(lock_timeout)
    if revision == "base" and not yes:
        if not _interactive():
            err("refusing `down base` without --yes: it drops every table and all their data")
            raise typer.Exit(2)
        typer.confirm("Downgrade to base drops every table and all their data. Go on?", abort=True)
    with database() as url:
        _migrate(migrations.downgrade, url, revision, "downgraded", lock_timeout)


@app.command("current")
def migrate_current() -> None:
    """Print the database's current revision, and how it stands against this build's head."""
    with database() as url:
        typer.echo(_label(_current(url)))


@app.command("history")
def migrate_history() -> None:
    """List this build's revisions, oldest first (from the code; `current` asks the database)."""
    heads = migrations.head_revisions()
    for script in migrations.history():
        down = script.down_revision
        previous = describe([down] if isinstance(down, str) else down or [])
        mark = " (head)" if script.revision in heads else ""
        typer.echo(f"{previous} -> {script.revision}{mark}: {script.doc}")


@app.command("check")
def migrate_check() -> None:
    """Exit 0 only when the database is at this build's head (readiness, CI, scripts)."""
    with database() as url:
        try:
            current = _current(url)
        except OperationalError as error:
            err(f"database unreachable: {_first_line(error)}")
            raise typer.Exit(1) from error
    if current != migrations.head_revisions():
        err(f"not at head: database at {_label(current)}")
        raise typer.Exit(1)
    typer.echo(f"at head: {describe(current)}")


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@app.command("wait")
def migrate_wait(
    timeout: Annotated[float, typer.Option(min=0, help="give up after this many seconds")],
    interval: Annotated[float, typer.Option(min=0.1, help="seconds between polls")] = 2.0,
) -> None:
    """Block until the database is at this build's head; exit 1 on timeout.

    The Deployment's init container: pods of a new image start only once its migrations ran.
    An unreachable database (not up yet, DNS, failover) is waited for like a pending migration.
    """
    heads = migrations.head_revisions()
    deadline = time.monotonic() + timeout
    with database() as url:
        said = ""
        while True:
            remaining = deadline - time.monotonic()
            try:
                current = _current(url, connect_timeout=max(2, min(10, int(remaining))))
            except OperationalError as error:
                state = f"database unreachable: {_first_line(error)}"
            else:
                if current == heads:
                    typer.echo(f"at head: {describe(current)}")
                    return
                state = f"waiting: database at {_label(current)}"
            if state != said:
                err(state)
                said = state
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                err(f"timed out after {timeout:g}s; last seen: {state}")
                raise typer.Exit(1)
            time.sleep(min(interval, remaining))


@app.command("sql")
def migrate_sql(
    revision_range: Annotated[
        str | None,
        typer.Argument(
            metavar="[FROM:TO]",
            help="default base:head (with --down: head:base); TO alone means from base",
        ),
    ] = None,
    down: Annotated[bool, typer.Option("--down", help="render the downgrade")] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(help="write each revision's SQL to its own file in this directory"),
    ] = None,
) -> None:
    """Print the SQL a migration would run (Alembic offline mode; no database needed)."""
    try:
        if out_dir is not None:
            if revision_range is not None:
                err("error: give either FROM:TO or --out-dir, not both")
                raise typer.Exit(2)
            out_dir.mkdir(parents=True, exist_ok=True)
            direction = "down" if down else "up"
            for script, sql in migrations.render_each_revision(downgrade=down):
                target = out_dir / f"{Path(script.path).stem}.{direction}.sql"
                target.write_text(sql)
                err(f"wrote {target}")
            return
        default = "head:base" if down else "base:head"
        typer.echo(migrations.render_sql(revision_range or default, downgrade=down), nl=False)
    except CommandError as error:
        err(f"error: {error}")
        raise typer.Exit(2) from error
