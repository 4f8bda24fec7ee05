"""Alembic environment: URL from the CLI or settings, metadata from assetwatch.db.tables.

Online runs hold a PostgreSQL advisory lock for their whole duration (see
`assetwatch.db.migrations.migration_lock`), so two `migrate` Jobs started at once serialise: the
second waits, then finds nothing left to do. Each revision runs in its own transaction; a revision
that must not (CREATE INDEX CONCURRENTLY) steps out with `op.get_context().autocommit_block()`.

With no URL configured anywhere, online runs use the embedded development database under the
data directory, so `alembic revision --autogenerate` works on a laptop without DATABASE_URL.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, create_engine, pool, text

from assetwatch.config import get_settings, normalise_database_url
from assetwatch.db.migrations import (
    AUTOGENERATE_OPTIONS,
    DEFAULT_LOCK_TIMEOUT,
    LOCK_TIMEOUT_ATTRIBUTE,
    OFFLINE_URL,
    RUN_ATTRIBUTE,
    Run,
    migration_lock,
    session_settings,
)
from assetwatch.db.tables import metadata

config = context.config


def _configured_url() -> str | None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    return normalise_database_url(url) if url else None


@contextmanager
def _online_url() -> Iterator[str]:
    url = _configured_url()
    if url:
        yield url
        return
    from assetwatch.embedded_db import embedded_postgres

    with embedded_postgres(get_settings().data_dir) as embedded_url:
        yield embedded_url


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=metadata,
        transaction_per_migration=True,
        **AUTOGENERATE_OPTIONS,
        **kwargs,
    )


def _session_settings() -> list[str]:
    return session_settings(config.attributes.get(LOCK_TIMEOUT_ATTRIBUTE, DEFAULT_LOCK_TIMEOUT))


def run_migrations_offline() -> None:
    url = _configured_url() or OFFLINE_URL
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    for statement in _session_settings():
        context.execute(statement)
    with context.begin_transaction():
        context.run_migrations()


def _run_locked(connection: Connection) -> None:
    run: Run | None = config.attributes.get(RUN_ATTRIBUTE)
    with migration_lock(connection) as waited:
        for statement in _session_settings():
            connection.execute(text(statement))
        connection.commit()
        _configure(connection=connection, on_version_apply=[run.on_version_apply] if run else [])
        migration_context = context.get_context()
        if run:
            run.begin(migration_context.get_current_heads(), lock_wait_seconds=waited)
        with context.begin_transaction():
            context.run_migrations()
        if run:
            run.end(migration_context.get_current_heads())


def run_migrations_online() -> None:
    # pytest-alembic hands over an Engine, callers of alembic's API may hand over a Connection.
    given: Connection | Engine | None = config.attributes.get("connection")
    if isinstance(given, Engine):
        with given.connect() as connection:
            _run_locked(connection)
        return
    if given is not None:
        _run_locked(given)
        return
    with _online_url() as url:
        engine = create_engine(
            url,
            poolclass=pool.NullPool,
            connect_args={"application_name": "assetwatch migrate"},
        )
        try:
            with engine.connect() as connection:
                _run_locked(connection)
        finally:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
