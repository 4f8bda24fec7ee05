"""Path and query parameters shared by the routers."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime

from assetwatch.services.pagination import DEFAULT_LIMIT, MAX_LIMIT

BIGINT_MAX = 2**63 - 1

Id = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="the resource id")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` from the previous page, unchanged"),
]
DEFAULT_PAGE_SIZE = DEFAULT_LIMIT
# Query text goes into SQL parameters: PostgreSQL text cannot hold NUL.
NO_NUL = r"^[^\x00]*$"


def _representable_in_utc(value: datetime) -> datetime:
    """0001-01-01T00:00:00+01:00 is year 0 in UTC: neither Python nor the API can show it."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must lie between years 1 and 9999 in UTC") from None
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_representable_in_utc)]
