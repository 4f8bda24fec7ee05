"""Alembic environment: URL from the CLI or settings, metadata from assetwatch.db.tables.

Online runs hold a PostgreSQL advisory lock for their whole duration, so two `migrate` Jobs
started at once serialise: the second waits, then finds nothing left to do.
"""

from alembic import context
from sqlalchemy import Connection, create_engine, pool, text

from assetwatch.config import get_settings, normalise_database_url
from assetwatch.db.tables import metadata

MIGRATION_LOCK_KEY = 7_246_001  # arbitrary, constant: "assetwatch migrations"

config = context.config


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    if not url:
        raise SystemExit("no database URL: set DATABASE_URL (or use `assetwatch migrate`)")
    return normalise_database_url(url)


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
        transaction_per_migration=True,
        **kwargs,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    _configure(url=_database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_locked(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    connection.commit()  # the lock is session-level: it outlives this transaction
    try:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()


def run_migrations_online() -> None:
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        _run_locked(given)
        return
    engine = create_engine(_database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run_locked(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
