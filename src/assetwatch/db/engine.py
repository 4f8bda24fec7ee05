"""One connection pool per process (psycopg's), shared by the ORM and the hot paths.

The hot paths (ingest, range reads, rollups, latest) borrow a connection straight from the
pool and run their precompiled statements on it: no session, no greenlet hop, no BEGIN/COMMIT
(pooled connections are in autocommit; each hot statement is atomic by itself). The ORM's
engine sits on the same pool: SQLAlchemy's `NullPool` with the pool as its `async_creator`,
and SQLAlchemy closing a connection hands it back (psycopg's documented way to put SQLAlchemy
on its pool). A connection lent to the ORM is switched out of autocommit, so a unit of work is
one transaction, and switched back when the ORM hands it back.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from assetwatch.config import Settings
from assetwatch.db.migrations import current_revisions
from assetwatch.db.warm_up import warm_up

# psycopg_pool retries a failed connection in the background with a doubling delay, for five
# minutes by default: after a long outage the first retry could come minutes after the
# database is back. Give up on a series after this long instead; the next request that finds
# the pool empty starts a new one at once, so the app is back within seconds of the database.
RECONNECT_SECONDS = 2.0
# Executions after which psycopg would prepare a statement by itself: never, in effect.
NEVER_BY_ITSELF = 2**62


class PooledConnection(AsyncConnection[TupleRow]):
    """A pooled connection that remembers when it was last handed back, and goes back to the
    pool when SQLAlchemy, done with it, closes it."""

    returned_at: float | None = None  # None: connected just now, never used
    lender: "AsyncConnectionPool[PooledConnection] | None" = None  # set while the ORM has it

    async def close(self) -> None:
        # psycopg_pool's `close_returns` does this too, except for a broken connection, which
        # it then never gets back: a slot lost for good after each connection the ORM saw die.
        lender, self.lender = self.lender, None
        if lender is None:
            await super().close()
            return
        try:  # back to autocommit, as the hot paths expect every pooled connection to be
            if self.info.transaction_status != TransactionStatus.IDLE:
                await self.rollback()
            await self.set_autocommit(True)
        except psycopg.Error:
            await super().close()  # unusable: the pool discards it and makes a new one
        await lender.putconn(self)  # a broken one is discarded and replaced there

    notice_callbacks: frozenset[Callable[..., Any]] = frozenset()  # those added, once each

    def add_notice_handler(self, callback: Callable[..., Any]) -> None:
        # SQLAlchemy registers its notice logger each time it "connects", which on a shared
        # pool is every checkout: keep one copy, not one per request. The record is this
        # class's own: psycopg's public API cannot tell whether a callback is registered.
        if callback in self.notice_callbacks:
            return
        super().add_notice_handler(callback)
        self.notice_callbacks = self.notice_callbacks | {callback}

    def remove_notice_handler(self, callback: Callable[..., Any]) -> None:
        super().remove_notice_handler(callback)
        self.notice_callbacks = self.notice_callbacks - {callback}


class ConnectionPool(AsyncConnectionPool[PooledConnection]):
    """Notes when each connection comes back (for `ping_if_idle`), and hands out the one that
    came back last.

    The return is not noted in a `reset` callback: with one, psycopg_pool hands every returned
    connection to a worker task instead of taking it back in place, which doubles the cost of a
    checkout on every hot-path statement."""

    async def putconn(self, conn: PooledConnection) -> None:
        conn.returned_at = time.monotonic()
        await super().putconn(conn)

    async def _get_ready_connection(
        self,
        timeout: float | None,  # noqa: ASYNC109 (psycopg_pool's signature, overridden)
    ) -> PooledConnection | None:
        """Hand out the connection returned last (LIFO), not the one that waited longest (FIFO,
        psycopg_pool's order, which takes from the left of its deque and returns to the right).
        Sequential requests then keep to one PostgreSQL backend, warm in the CPU's caches, and
        the connections a quiet spell leaves idle are those the pool's shrinking closes first.
        Leans on psycopg_pool's internals: pinned, and checked by a test (NARRATIVE.md)."""
        if self._pool:
            self._pool.rotate(1)  # the newest, at the right end, to the left, where it is taken
        return await super()._get_ready_connection(timeout)


@dataclass(frozen=True)
class PoolStats:
    """The pool at one instant, as `/metrics` reports it."""

    size: int  # configured: connections kept open
    max_size: int  # the most it may open
    checked_out: int  # in use
    overflow: int  # open beyond `size`
    waiting: int  # requests waiting for a connection


@dataclass(frozen=True)
class Database:
    """The process's pool and the SQLAlchemy engine that borrows from it."""

    pool: ConnectionPool
    engine: AsyncEngine

    def pool_stats(self) -> PoolStats:
        stats = self.pool.get_stats()
        size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
        return PoolStats(
            size=self.pool.min_size,
            max_size=self.pool.max_size,
            checked_out=size - idle,
            overflow=max(size - self.pool.min_size, 0),
            waiting=stats.get("requests_waiting", 0),
        )

    async def schema_revisions(self) -> frozenset[str]:
        """The revisions the database's schema is at; raises when it cannot be reached."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(current_revisions)

    async def open(self) -> None:
        # Connections are made in the background: the app starts (and /readyz answers 503)
        # while the database is still unreachable.
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.engine.dispose()
        await self.pool.close()


def create_database(settings: Settings, url: str | None = None) -> Database:
    """Build (not open) the process's pool and engine. `url` overrides the settings."""
    target = url or settings.database_url
    if not target:
        raise ValueError("no database URL: set DATABASE_URL or start the embedded server")
    # Only the statements marked `generic` are prepared, once per connection, and so planned
    # once. Every statement gets a generic plan (plan_cache_mode applies to unprepared ones too);
    # an unprepared one is planned again at each execution (NARRATIVE.md, "Prepared statements
    # and generic plans").
    options = "-c timezone=UTC -c plan_cache_mode=force_generic_plan"
    if settings.db_statement_timeout_ms:
        options += f" -c statement_timeout={settings.db_statement_timeout_ms}"
    idle_seconds = settings.db_pool_ping_idle_seconds

    async def ping_if_idle(conn: PooledConnection) -> None:
        """Test a pooled connection before use only when it sat idle for `idle_seconds`.

        A ping on every checkout is a round trip on every read. A connection
        returned moments ago by a request that succeeded is as good as a tested one (HikariCP
        skips its check within 500 ms of last use, for the same reason). The idle ones are
        what a database restart leaves dead: when one fails, every idle connection is replaced
        (they are as old as the restart), and the request gets a new one instead of an error.
        """
        returned_at = conn.returned_at
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return
        try:
            await AsyncConnectionPool.check_connection(conn)
        except Exception:
            await pool.drain()
            raise

    pool = ConnectionPool(
        make_url(target).set(drivername="postgresql").render_as_string(hide_password=False),
        connection_class=PooledConnection,
        kwargs={
            "autocommit": True,
            # Never prepare by itself, but prepare when asked (`prepare=True`): a threshold
            # of None would refuse that too (psycopg 3.3), a test checks it.
            "prepare_threshold": NEVER_BY_ITSELF,
            "connect_timeout": settings.db_connect_timeout,
            "options": options,
            "application_name": "assetwatch",
        },
        min_size=settings.db_pool_size,
        max_size=settings.db_pool_size + settings.db_max_overflow,
        timeout=settings.db_pool_timeout,
        reconnect_timeout=RECONNECT_SECONDS,
        check=ping_if_idle,
        configure=warm_up,
        open=False,
    )

    async def lend_to_the_orm() -> PooledConnection:
        conn = await pool.getconn()
        conn.lender = pool
        await conn.set_autocommit(False)
        return conn

    engine = create_async_engine(target, poolclass=NullPool, async_creator=lend_to_the_orm)
    return Database(pool, engine)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: a mapped Pydantic entity must never be serialised half-loaded.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
