"""Path and query parameters shared by the routers."""

from typing import Annotated

from fastapi import Path, Query

from assetwatch.services.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN, MAX_LIMIT

BIGINT_MAX = 2**63 - 1

Id = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="the resource id")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
CURSOR_HELP = "`next_cursor` from the previous page, unchanged (the position of its last row)"
Cursor = Annotated[
    str | None,
    Query(max_length=CURSOR_MAX_LENGTH, pattern=CURSOR_PATTERN, description=CURSOR_HELP),
]
# Query text goes into SQL parameters: PostgreSQL text cannot hold NUL.
NO_NUL = r"^[^\x00]*$"
