"""`assetwatch migrate …`: apply, roll back and inspect migrations."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy import create_engine as create_sync_engine

from assetwatch.cli._common import database, err
from assetwatch.db import migrations

app = typer.Typer(help="Apply, roll back and inspect database migrations", no_args_is_help=True)


@contextmanager
def _timed(what: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    err(f"{what} in {time.monotonic() - started:.2f}s")


def _current(url: str) -> frozenset[str]:
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            return migrations.current_revisions(conn)
    finally:
        engine.dispose()


def _describe(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "base (empty)"


@app.command("up")
def migrate_up(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Upgrade the database to REVISION (default: head)."""
    with database() as url:
        before = _current(url)
        with _timed(f"upgraded {_describe(before)} → {revision}"):
            migrations.upgrade(url, revision)
        err(f"now at {_describe(_current(url))}")


@app.command("down")
def migrate_down(
    revision: Annotated[str, typer.Argument(help="target: a revision, -1, or base")],
) -> None:
    """Downgrade the database to REVISION."""
    with database() as url:
        before = _current(url)
        with _timed(f"downgraded {_describe(before)} → {revision}"):
            migrations.downgrade(url, revision)
        err(f"now at {_describe(_current(url))}")


@app.command("current")
def migrate_current() -> None:
    """Print the database's current revision."""
    with database() as url:
        typer.echo(_describe(_current(url)))


@app.command("check")
def migrate_check() -> None:
    """Exit 0 only when the database is at the head revision of this build."""
    with database() as url:
        current, heads = _current(url), migrations.head_revisions()
    if current != heads:
        err(f"database at {_describe(current)}, this build expects {_describe(heads)}")
        raise typer.Exit(1)
    typer.echo(f"at head: {_describe(current)}")
