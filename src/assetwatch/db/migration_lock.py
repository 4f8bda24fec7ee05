"""The advisory lock every online migration run holds, so that concurrent runs serialise.

alembic/env.py takes it around each `upgrade`/`downgrade`: two `migrate` Jobs started at once
then run one after the other, and the second finds nothing left to do.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC

from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

# Session-level PostgreSQL advisory lock held by every online run (`up`, `down`, `stamp`, …).
# Arbitrary and constant: "assetwatch migrations". Advisory locks are per database.
MIGRATION_LOCK_KEY = 7_246_001
LOCK_POLL_SECONDS = 0.25


def _holder(connection: Connection) -> str:
    row = connection.execute(
        text(
            "SELECT a.pid, a.application_name, a.backend_start FROM pg_locks l"
            " JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :key"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"key": MIGRATION_LOCK_KEY},
    ).first()
    if row is None:
        return "another session"
    name = row.application_name or "unnamed"
    return f"pid {row.pid} ({name}, connected {row.backend_start.astimezone(UTC):%H:%M:%S} UTC)"


@contextmanager
def migration_lock(
    connection: Connection, *, poll_seconds: float = LOCK_POLL_SECONDS
) -> Iterator[float]:
    """Hold the migration advisory lock on CONNECTION's session; yield the seconds waited.

    The waiter polls `pg_try_advisory_lock` and commits between polls instead of blocking in
    `pg_advisory_lock`: a blocked statement keeps a snapshot open, and the holder's
    CREATE INDEX CONCURRENTLY waits for every older snapshot in the database, so a blocking
    waiter and a concurrent index build would deadlock.
    """
    started = time.monotonic()
    announced = False
    acquire = text("SELECT pg_try_advisory_lock(:key)")
    while not connection.execute(acquire, {"key": MIGRATION_LOCK_KEY}).scalar_one():
        if not announced:
            log.warning("another migration is running (%s); waiting for it", _holder(connection))
            announced = True
        connection.commit()
        time.sleep(poll_seconds)
    connection.commit()
    waited = time.monotonic() - started
    if announced:
        log.warning("migration lock acquired after %.2fs", waited)
    unlock = text("SELECT pg_advisory_unlock(:key)")
    try:
        yield waited
    except BaseException:
        # The session may be in a failed transaction, or gone (then the lock went with it).
        with suppress(Exception):
            connection.rollback()
            connection.execute(unlock, {"key": MIGRATION_LOCK_KEY})
            connection.commit()
        raise
    connection.rollback()  # a read after the last revision may have opened one
    connection.execute(unlock, {"key": MIGRATION_LOCK_KEY})
    connection.commit()
