"""Translate database errors into domain errors, at the one depth where they are known."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError

from assetwatch.domain import Conflict, NotFound

UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"


@asynccontextmanager
async def translated_integrity_errors() -> AsyncIterator[None]:
    try:
        yield
    except IntegrityError as err:
        sqlstate = getattr(err.orig, "sqlstate", None)
        if sqlstate == UNIQUE_VIOLATION:
            raise Conflict("a resource with that name already exists") from err
        if sqlstate == FOREIGN_KEY_VIOLATION:
            raise NotFound("the parent resource no longer exists") from err
        raise
