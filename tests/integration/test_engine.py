"""The process's one pool: the hot paths borrow from it in autocommit, the ORM's engine borrows
from it for transactions, and idle connections are tested before use."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from assetwatch.config import Settings
from assetwatch.db.engine import Database, create_database, create_session_factory
from assetwatch.db.telemetry_store import SqlTelemetryStore
from assetwatch.db.unit_of_work import SqlUnitOfWork
from assetwatch.db.warm_up import plan_hot_reads
from assetwatch.domain import StoreUnavailable
from assetwatch.observability import count_statements_of, counting_statements

pytestmark = pytest.mark.integration

SQLALCHEMY_NOTICES = "sqlalchemy.dialects.postgresql"  # the logger of its psycopg dialect


@asynccontextmanager
async def _one_connection(
    settings: Settings, url: str, ping_idle_seconds: float
) -> AsyncIterator[Database]:
    """An open pool of exactly one connection, so every borrower gets the same one."""
    update = {
        "db_pool_size": 1,
        "db_max_overflow": 0,
        "db_pool_ping_idle_seconds": ping_idle_seconds,
    }
    database = create_database(settings.model_copy(update=update), url)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def one_connection(settings: Settings, migrated_url: str) -> AsyncIterator[Database]:
    async with _one_connection(
        settings, migrated_url, settings.db_pool_ping_idle_seconds
    ) as database:
        yield database


async def _backend_pid(database: Database) -> int:
    async with database.pool.connection() as conn:
        row = await (await conn.execute("SELECT pg_backend_pid()")).fetchone()
    assert row is not None
    pid: int = row[0]
    return pid


async def _kill_the_pooled_connection(database: Database) -> int:
    """Kill the pool's backend from outside, as a database restart or failover would; return
    its pid."""
    pid = await _backend_pid(database)
    url = database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    return pid


async def test_an_idle_connection_that_died_is_replaced_before_use(
    settings: Settings, migrated_url: str
) -> None:
    async with _one_connection(settings, migrated_url, ping_idle_seconds=0) as database:
        killed = await _kill_the_pooled_connection(database)
        assert await _backend_pid(database) != killed  # no error: the ping caught it


async def test_a_connection_in_steady_use_is_not_pinged_and_a_dead_one_is_replaced(
    settings: Settings, migrated_url: str
) -> None:
    """The price of skipping the ping within the idle window: a connection that dies between
    two requests fails the second one (a 503 in the app); the pool then replaces it."""
    async with _one_connection(settings, migrated_url, ping_idle_seconds=3600) as database:
        killed = await _kill_the_pooled_connection(database)
        with pytest.raises(psycopg.OperationalError):
            await _backend_pid(database)
        assert await _backend_pid(database) != killed


async def test_the_orm_fails_cleanly_on_a_dead_connection_and_then_gets_a_new_one(
    settings: Settings, migrated_url: str
) -> None:
    async with _one_connection(settings, migrated_url, ping_idle_seconds=3600) as database:
        killed = await _kill_the_pooled_connection(database)
        async with create_session_factory(database.engine)() as session:
            with pytest.raises(DBAPIError) as failure:
                await session.execute(text("SELECT 1"))
        assert failure.value.connection_invalidated
        assert await _backend_pid(database) != killed  # the slot came back to the pool


async def test_a_dead_connection_is_store_unavailable_through_either_port(
    settings: Settings, migrated_url: str
) -> None:
    """Nothing above the db layer sees a driver's or SQLAlchemy's error (the api maps this one
    to a 503): the unit of work's and the telemetry store's failures are the domain's."""
    async with _one_connection(settings, migrated_url, ping_idle_seconds=3600) as database:
        await _kill_the_pooled_connection(database)
        uow = SqlUnitOfWork(create_session_factory(database.engine))
        with pytest.raises(StoreUnavailable) as orm_failure:
            async with uow:
                await uow.organizations.get_by_slug("acme")
        assert isinstance(orm_failure.value.__cause__, DBAPIError)

        await _kill_the_pooled_connection(database)
        with pytest.raises(StoreUnavailable) as driver_failure:
            await SqlTelemetryStore(database.pool).latest(1, 1)
        assert isinstance(driver_failure.value.__cause__, psycopg.OperationalError)


async def test_a_pool_exhausted_past_its_timeout_is_store_unavailable(
    settings: Settings, migrated_url: str
) -> None:
    quick = settings.model_copy(update={"db_pool_timeout": 0.2})
    async with (
        _one_connection(quick, migrated_url, ping_idle_seconds=3600) as database,
        database.pool.connection(),  # the only connection, held
    ):
        with pytest.raises(StoreUnavailable):
            await SqlTelemetryStore(database.pool).latest(1, 1)
        uow = SqlUnitOfWork(create_session_factory(database.engine))
        with pytest.raises(StoreUnavailable):
            async with uow:
                await uow.organizations.get_by_slug("acme")


async def test_the_hot_paths_borrow_connections_in_autocommit(one_connection: Database) -> None:
    async with one_connection.pool.connection() as conn:
        await conn.execute("SELECT 1")
        assert conn.autocommit
        # No BEGIN was sent, so there is nothing to roll back when it goes back.
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


async def test_the_orm_gets_a_transaction_on_the_same_pool_and_the_pool_gets_autocommit_back(
    one_connection: Database,
) -> None:
    hot_pid = await _backend_pid(one_connection)
    async with create_session_factory(one_connection.engine)() as session:
        await session.execute(
            text("INSERT INTO organizations (slug, name) VALUES ('ghost', 'Ghost')")
        )
        raw = await (await session.connection()).get_raw_connection()
        conn = raw.driver_connection
        assert isinstance(conn, psycopg.AsyncConnection)
        assert not conn.autocommit
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        orm_pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await session.rollback()
    assert orm_pid == hot_pid  # one pool: the same (only) connection
    async with one_connection.pool.connection() as conn:
        assert conn.autocommit
        found = await conn.execute("SELECT 1 FROM organizations WHERE slug = 'ghost'")
        assert await found.fetchone() is None  # the rollback undid the insert


async def test_statements_through_the_orm_are_counted(one_connection: Database) -> None:
    count_statements_of(one_connection.engine.sync_engine)
    with counting_statements() as counted:
        async with create_session_factory(one_connection.engine)() as session:
            await session.execute(text("SELECT 1"))
            await session.execute(text("SELECT 2"))
    assert counted.value == 2


async def test_the_orm_does_not_pile_up_notice_handlers_on_pooled_connections(
    one_connection: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLAlchemy adds its notice logger each time it 'connects', i.e. every checkout here:
    after five checkouts a notice is still logged once, not five times."""
    for _ in range(5):
        async with create_session_factory(one_connection.engine)() as session:
            await session.execute(text("SELECT 1"))
    with caplog.at_level(logging.INFO, logger=SQLALCHEMY_NOTICES):
        async with one_connection.pool.connection() as conn:
            await conn.execute("DO $$ BEGIN RAISE NOTICE 'counted once'; END $$")
    notices = [r for r in caplog.records if r.name == SQLALCHEMY_NOTICES]
    assert [r.getMessage() for r in notices] == ["NOTICE: counted once"]


async def test_each_hot_read_plans_on_a_migrated_database_and_finds_nothing(
    one_connection: Database,
) -> None:
    """What the pool's warm-up runs on every new connection: valid statements and parameters,
    matching no organisation, asset or signal."""
    async with one_connection.pool.connection() as conn:
        await plan_hot_reads(conn)
        row = await (await conn.execute("SELECT 1")).fetchone()
    assert row == (1,)


async def test_a_pool_on_a_database_not_migrated_yet_still_hands_out_connections(
    settings: Settings, fresh_database_url: str
) -> None:
    async with (
        _one_connection(settings, fresh_database_url, 10.0) as database,
        database.pool.connection() as conn,
    ):
        row = await (await conn.execute("SELECT 1")).fetchone()
    assert row == (1,)


async def test_the_pool_hands_out_the_connection_returned_last(
    settings: Settings, migrated_url: str
) -> None:
    """LIFO, so sequential requests keep to one PostgreSQL backend. It leans on psycopg_pool's
    internals (its deque `_pool`, `_get_ready_connection`): an upgrade that changes them makes
    the pool FIFO again, and this fails."""
    update = {"db_pool_size": 3, "db_max_overflow": 0}
    database = create_database(settings.model_copy(update=update), migrated_url)
    await database.open()
    try:
        await database.pool.wait()
        first, second, third = [await database.pool.getconn() for _ in range(3)]
        for conn in (first, second, third):
            await database.pool.putconn(conn)
        for _ in range(3):  # one request after another: always the same connection
            conn = await database.pool.getconn()
            assert conn is third
            await database.pool.putconn(conn)
        taken = [await database.pool.getconn() for _ in range(3)]
        assert taken == [third, second, first]  # newest first; FIFO would give the reverse
        for conn in taken:
            await database.pool.putconn(conn)
    finally:
        await database.close()
