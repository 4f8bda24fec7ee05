"""One async engine, and so one connection pool, per process."""

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from assetwatch.config import Settings

_RETURNED_AT = "assetwatch_returned_at"


def create_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    """Build the process's engine. `url` overrides the settings (tests, embedded server)."""
    target = url or settings.database_url
    if not target:
        raise ValueError("no database URL: set DATABASE_URL or start the embedded server")
    options = "-c timezone=UTC -c plan_cache_mode=force_custom_plan"
    if settings.db_statement_timeout_ms:
        options += f" -c statement_timeout={settings.db_statement_timeout_ms}"
    engine = create_async_engine(
        target,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        connect_args={
            "connect_timeout": settings.db_connect_timeout,
            # psycopg's automatic prepared statements switch the range read to a generic plan
            # that scans and sorts (7x slower, shared/notes/performance-facts.md); custom plans
            # keep the primary-key range scan.
            "options": options,
            "application_name": "assetwatch",
        },
    )
    ping_idle_connections(engine, settings.db_pool_ping_idle_seconds)
    return engine


def ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """Test a pooled connection before use only when it sat idle for `idle_seconds` or more.

    `pool_pre_ping` tests every checkout: a round trip, ~0.13 ms of a read's ~1.6 ms of CPU.
    A connection returned moments ago by a request that succeeded is as good as a tested one
    (HikariCP skips its check within 500 ms of last use, for the same reason). One that died
    in use fails its request, and SQLAlchemy then invalidates the whole pool, as it does after
    any disconnect; the idle ones, which a database restart leaves dead, are tested here and
    replaced without failing a request.
    """
    pool, dialect = engine.sync_engine.pool, engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _returned(dbapi_connection: Any, entry: ConnectionPoolEntry) -> None:
        entry.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checkout(
        dbapi_connection: Any, entry: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        returned_at = entry.info.get(_RETURNED_AT)  # None: connected just now for this checkout
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards every connection older than now (a restart killed them all)
            # and connects anew for this checkout.
            raise exc.InvalidatePoolError(f"pooled connection failed its ping: {error}") from error


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: a mapped Pydantic entity must never be serialised half-loaded.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_autocommit_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose every statement is its own transaction, for use cases made of statements
    that each stand alone (the hot reads, ingest's one atomic statement, key lookups): a read is
    one round trip instead of BEGIN, the query and ROLLBACK. Same engine, same pool:
    `execution_options` makes a view of the engine, and the pool resets the connection's
    autocommit when it comes back. Never use these where several writes must succeed or fail
    together."""
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(autocommit, expire_on_commit=False, autoflush=False)
