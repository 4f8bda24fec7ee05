"""What the command groups share: where the database is, and running a use case on it."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer

from assetwatch.bootstrap import Runtime, running
from assetwatch.config import Settings, get_settings
from assetwatch.domain import DomainError

T = TypeVar("T")


def err(message: str) -> None:
    """Progress and diagnostics go to stderr; stdout carries only what scripts consume."""
    typer.echo(message, err=True)


@contextmanager
def database(settings: Settings | None = None) -> Iterator[str]:
    """DATABASE_URL when set; otherwise the embedded PostgreSQL under the data directory."""
    settings = settings or get_settings()
    if settings.database_url:
        yield settings.database_url
        return
    from assetwatch.embedded_db import embedded_postgres

    err(f"DATABASE_URL is not set: using the embedded PostgreSQL in {settings.data_dir}/postgres")
    with embedded_postgres(settings.data_dir) as url:
        yield url


def run_use_case(url: str, use_case: Callable[[Runtime], Awaitable[T]]) -> T:
    """Run one use case on a runtime for URL (`bootstrap`); a domain error becomes exit code 1."""

    async def run() -> T:
        async with running(database_url=url) as runtime:
            return await use_case(runtime)

    try:
        return asyncio.run(run())
    except DomainError as error:
        err(f"error: {error.detail}")
        raise typer.Exit(1) from error
