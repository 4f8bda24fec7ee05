"""Database errors as domain errors, at the one depth where they are known: nothing above the
db layer sees a driver's or SQLAlchemy's exception."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from sqlalchemy import exc

from assetwatch.domain import Conflict, NotFound, StoreUnavailable

UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"
UNAVAILABLE = "the database is unavailable"

# What a lost or refused connection, the pool's timeout (a psycopg OperationalError) or a
# statement timeout raise: from the driver on the hot paths, wrapped by SQLAlchemy on the ORM's.
DRIVER_UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError)
ORM_UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, *DRIVER_UNAVAILABLE)


@asynccontextmanager
async def translated_errors() -> AsyncIterator[None]:
    """Around the ORM's calls: a uniqueness clash is a `Conflict`, a vanished parent a
    `NotFound`, an unreachable database `StoreUnavailable`."""
    try:
        yield
    except exc.IntegrityError as err:
        sqlstate = getattr(err.orig, "sqlstate", None)
        if sqlstate == UNIQUE_VIOLATION:
            raise Conflict("a resource with that name already exists") from err
        if sqlstate == FOREIGN_KEY_VIOLATION:
            raise NotFound("the parent resource no longer exists") from err
        raise
    except ORM_UNAVAILABLE as err:
        raise StoreUnavailable(UNAVAILABLE) from err
