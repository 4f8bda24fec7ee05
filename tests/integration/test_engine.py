"""The process's engine: reads in autocommit on the same pool, writes in transactions."""

from collections.abc import AsyncIterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from assetwatch.config import Settings
from assetwatch.db.engine import (
    create_autocommit_session_factory,
    create_engine,
    create_session_factory,
)
from assetwatch.observability import count_statements_of, counting_statements

pytestmark = pytest.mark.integration


@pytest.fixture
async def one_connection_engine(
    settings: Settings, migrated_url: str
) -> AsyncIterator[AsyncEngine]:
    """A pool of exactly one connection, so every session below reuses the same one."""
    engine = create_engine(
        settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0}), migrated_url
    )
    yield engine
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
