"""The process's engine: reads in autocommit on the same pool, writes in transactions."""

from collections.abc import AsyncIterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from assetwatch.config import Settings
from assetwatch.db.engine import (
    create_autocommit_session_factory,
    create_engine,
    create_session_factory,
)
from assetwatch.observability import count_statements_of, counting_statements

pytestmark = pytest.mark.integration


def _one_connection(settings: Settings, url: str, ping_idle_seconds: float) -> AsyncEngine:
    """A pool of exactly one connection, so every session reuses the same one."""
    update = {
        "db_pool_size": 1,
        "db_max_overflow": 0,
        "db_pool_ping_idle_seconds": ping_idle_seconds,
    }
    return create_engine(settings.model_copy(update=update), url)


@pytest.fixture
async def one_connection_engine(
    settings: Settings, migrated_url: str
) -> AsyncIterator[AsyncEngine]:
    engine = _one_connection(settings, migrated_url, settings.db_pool_ping_idle_seconds)
    yield engine
    await engine.dispose()


async def _backend_pid(engine: AsyncEngine) -> int:
    async with create_autocommit_session_factory(engine)() as session:
        pid: int = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return pid


async def _terminate(engine: AsyncEngine, pid: int) -> None:
    """Kill a backend from outside the pool, as a database restart or failover would."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


async def test_an_idle_connection_that_died_is_replaced_before_use(
    settings: Settings, migrated_url: str
) -> None:
    engine = _one_connection(settings, migrated_url, ping_idle_seconds=0)
    try:
        first = await _backend_pid(engine)
        await _terminate(engine, first)
        assert await _backend_pid(engine) != first  # no error: the ping caught it
    finally:
        await engine.dispose()


async def test_a_connection_in_steady_use_is_not_pinged_and_one_failure_renews_the_pool(
    settings: Settings, migrated_url: str
) -> None:
    """The price of skipping the ping within the idle window: a connection that dies between
    two requests fails the second one (a 503 in the app); the pool then starts afresh."""
    engine = _one_connection(settings, migrated_url, ping_idle_seconds=3600)
    try:
        first = await _backend_pid(engine)
        await _terminate(engine, first)
        with pytest.raises(DBAPIError) as failure:
            await _backend_pid(engine)
        assert failure.value.connection_invalidated
        assert await _backend_pid(engine) != first
    finally:
        await engine.dispose()


async def driver_connection(session: AsyncSession) -> psycopg.AsyncConnection[object]:
    raw = await (await session.connection()).get_raw_connection()
    conn: psycopg.AsyncConnection[object] = raw.driver_connection  # type: ignore[assignment]
    return conn


async def test_a_read_session_runs_without_a_transaction(
    one_connection_engine: AsyncEngine,
) -> None:
    async with create_autocommit_session_factory(one_connection_engine)() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        conn = await driver_connection(session)
        assert conn.autocommit
        # No BEGIN was sent, so there is nothing to roll back when the session closes.
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


async def test_the_pool_hands_writers_a_transactional_connection_after_a_read(
    one_connection_engine: AsyncEngine,
) -> None:
    async with create_autocommit_session_factory(one_connection_engine)() as session:
        await session.execute(text("SELECT 1"))
    async with create_session_factory(one_connection_engine)() as session:
        await session.execute(
            text("INSERT INTO organizations (slug, name) VALUES ('ghost', 'Ghost')")
        )
        conn = await driver_connection(session)
        assert not conn.autocommit
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        await session.rollback()
    async with create_autocommit_session_factory(one_connection_engine)() as session:
        found = await session.execute(text("SELECT 1 FROM organizations WHERE slug = 'ghost'"))
        assert found.first() is None  # the rollback undid the insert


async def test_statements_on_the_read_view_are_counted(
    one_connection_engine: AsyncEngine,
) -> None:
    count_statements_of(one_connection_engine.sync_engine)
    with counting_statements() as counted:
        async with create_autocommit_session_factory(one_connection_engine)() as session:
            await session.execute(text("SELECT 1"))
            await session.execute(text("SELECT 2"))
    assert counted.value == 2
