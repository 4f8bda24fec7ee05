"""One async engine, and so one connection pool, per process."""

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from assetwatch.config import Settings


def create_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    """Build the process's engine. `url` overrides the settings (tests, embedded server)."""
    target = url or settings.database_url
    if not target:
        raise ValueError("no database URL: set DATABASE_URL or start the embedded server")
    options = "-c timezone=UTC -c plan_cache_mode=force_custom_plan"
    if settings.db_statement_timeout_ms:
        options += f" -c statement_timeout={settings.db_statement_timeout_ms}"
    return create_async_engine(
        target,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=settings.db_pool_pre_ping,
        connect_args={
            "connect_timeout": settings.db_connect_timeout,
            # psycopg's automatic prepared statements switch the range read to a generic plan
            # that scans and sorts (7x slower, shared/notes/performance-facts.md); custom plans
            # keep the primary-key range scan.
            "options": options,
            "application_name": "assetwatch",
        },
    )


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
