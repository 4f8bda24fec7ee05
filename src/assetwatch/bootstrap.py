"""The composition root: the one place that builds a process's settings, pool and engine,
mappers, key cache and the ports the use cases take, for the app and the CLI alike.

It is the only module that knows both the ports (`services.ports`) and what implements them
(`assetwatch.db`): the api and the cli take what `bootstrap()` builds and never assemble it
themselves (import-linter contracts in pyproject.toml).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assetwatch.config import Settings, get_settings
from assetwatch.db.engine import Database, create_database, create_session_factory
from assetwatch.db.mappers import start_mappers
from assetwatch.db.migrations import head_revisions
from assetwatch.db.telemetry_store import SqlTelemetryStore
from assetwatch.db.unit_of_work import SqlUnitOfWork
from assetwatch.observability import count_statements_of
from assetwatch.services.auth import KeyCache
from assetwatch.services.ports import TelemetryStore, UnitOfWork


@dataclass(frozen=True)
class Runtime:
    """What a process's use cases run on: a new unit of work per use case, the one telemetry
    store, the key cache, and the database they share (`open()` before use, `close()` after)."""

    settings: Settings
    database: Database
    session_factory: async_sessionmaker[AsyncSession]
    telemetry: TelemetryStore
    key_cache: KeyCache
    head_revisions: frozenset[str]  # what the schema must be at for this build to be ready

    def unit_of_work(self) -> UnitOfWork:
        return SqlUnitOfWork(self.session_factory)

    async def open(self) -> None:
        await self.database.open()

    async def close(self) -> None:
        await self.database.close()


def bootstrap(settings: Settings | None = None, *, database_url: str | None = None) -> Runtime:
    """Build (not open) the runtime; `database_url` overrides the settings' (the embedded one)."""
    settings = settings or get_settings()
    start_mappers()
    database = create_database(settings, database_url)
    count_statements_of(database.engine.sync_engine)
    return Runtime(
        settings=settings,
        database=database,
        session_factory=create_session_factory(database.engine),
        telemetry=SqlTelemetryStore(database.pool),
        key_cache=KeyCache(settings.key_cache_ttl_seconds),
        head_revisions=head_revisions(),
    )


@asynccontextmanager
async def running(
    settings: Settings | None = None, *, database_url: str | None = None
) -> AsyncIterator[Runtime]:
    """A runtime opened for the block and closed after it (the CLI's commands)."""
    runtime = bootstrap(settings, database_url=database_url)
    await runtime.open()
    try:
        yield runtime
    finally:
        await runtime.close()
