"""The `assetwatch` command: serve, migrate, orgs, keys."""

import asyncio
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer
from sqlalchemy import create_engine as create_sync_engine

from assetwatch.config import Settings, get_settings
from assetwatch.db import migrations
from assetwatch.db.engine import create_engine, create_session_factory
from assetwatch.db.mappers import start_mappers
from assetwatch.db.unit_of_work import SqlUnitOfWork
from assetwatch.domain import DomainError, Role
from assetwatch.services import tenancy

T = TypeVar("T")

app = typer.Typer(help="assetwatch: asset telemetry service", no_args_is_help=True)
migrate_app = typer.Typer(help="Apply, roll back and inspect database migrations", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations (tenants)", no_args_is_help=True)
keys_app = typer.Typer(help="API keys", no_args_is_help=True)
app.add_typer(migrate_app, name="migrate")
app.add_typer(orgs_app, name="orgs")
app.add_typer(keys_app, name="keys")


def _err(message: str) -> None:
    typer.echo(message, err=True)


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """DATABASE_URL when set; otherwise the embedded PostgreSQL under the data directory."""
    if settings.database_url:
        yield settings.database_url
        return
    from assetwatch.embedded_db import embedded_postgres

    _err(f"DATABASE_URL is not set: using the embedded PostgreSQL in {settings.data_dir}/postgres")
    with embedded_postgres(settings.data_dir) as url:
        yield url


def _run_with_uow(url: str, use_case: Callable[[SqlUnitOfWork], Awaitable[T]]) -> T:
    async def run() -> T:
        start_mappers()
        engine = create_engine(get_settings(), url)
        try:
            return await use_case(SqlUnitOfWork(create_session_factory(engine)))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except DomainError as err:
        _err(f"error: {err.detail}")
        raise typer.Exit(1) from err


# --- serve -------------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Serve the API with uvicorn (embedded PostgreSQL, migrated, when DATABASE_URL is unset)."""
    import uvicorn

    settings = get_settings()
    embedded = not settings.database_url
    with database(settings) as url:
        if embedded:
            migrations.upgrade(url)
        os.environ["DATABASE_URL"] = url  # workers build their own settings from the env
        get_settings.cache_clear()
        base = f"http://{host}:{port}"
        _err(f"assetwatch listening on {base}  (docs: {base}/docs, readiness: {base}/readyz)")
        _err("create a tenant and a key:  assetwatch orgs create --slug acme --name Acme")
        _err("                            assetwatch keys create --org acme --role admin")
        uvicorn.run(
            "assetwatch.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level.lower(),
        )


# --- migrate -----------------------------------------------------------------------------------


@contextmanager
def _timed(what: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    _err(f"{what} in {time.monotonic() - started:.2f}s")


def _current(url: str) -> frozenset[str]:
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            return migrations.current_revisions(conn)
    finally:
        engine.dispose()


def _describe(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "base (empty)"


@migrate_app.command("up")
def migrate_up(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Upgrade the database to REVISION (default: head)."""
    with database(get_settings()) as url:
        before = _current(url)
        with _timed(f"upgraded {_describe(before)} → {revision}"):
            migrations.upgrade(url, revision)
        _err(f"now at {_describe(_current(url))}")


@migrate_app.command("down")
def migrate_down(
    revision: Annotated[str, typer.Argument(help="target: a revision, -1, or base")],
) -> None:
    """Downgrade the database to REVISION."""
    with database(get_settings()) as url:
        before = _current(url)
        with _timed(f"downgraded {_describe(before)} → {revision}"):
            migrations.downgrade(url, revision)
        _err(f"now at {_describe(_current(url))}")


@migrate_app.command("current")
def migrate_current() -> None:
    """Print the database's current revision."""
    with database(get_settings()) as url:
        typer.echo(_describe(_current(url)))


@migrate_app.command("check")
def migrate_check() -> None:
    """Exit 0 only when the database is at the head revision of this build."""
    with database(get_settings()) as url:
        current, heads = _current(url), migrations.head_revisions()
    if current != heads:
        _err(f"database at {_describe(current)}, this build expects {_describe(heads)}")
        raise typer.Exit(1)
    typer.echo(f"at head: {_describe(current)}")


# --- orgs and keys -----------------------------------------------------------------------------


@orgs_app.command("create")
def orgs_create(
    slug: Annotated[str, typer.Option(help="short unique name, e.g. acme")],
    name: Annotated[str, typer.Option(help="display name")],
) -> None:
    """Create an organisation."""
    with database(get_settings()) as url:
        org = _run_with_uow(url, lambda uow: tenancy.create_organization(uow, slug, name))
    typer.echo(f"organisation {org.slug} (id {org.id}): {org.name}")


@keys_app.command("create")
def keys_create(
    org: Annotated[str, typer.Option(help="organisation slug")],
    role: Annotated[Role, typer.Option(help="admin, writer or reader")] = Role.reader,
    name: Annotated[str, typer.Option(help="what the key is for")] = "cli",
) -> None:
    """Create an API key. Prints the token once, alone on stdout."""
    with database(get_settings()) as url:
        issued = _run_with_uow(url, lambda uow: tenancy.create_key_for_slug(uow, org, name, role))
    _err(f"{role.value} key {issued.key.prefix} for {org}; the secret is shown only now:")
    typer.echo(issued.token)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.INFO)
    app(prog_name="assetwatch")


if __name__ == "__main__":
    sys.exit(main())
