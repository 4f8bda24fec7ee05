"""Keyset pages and their opaque cursors.

A cursor is the base64url form of a small JSON object naming the last position served. It is
opaque to clients, not secret: every query that uses it still filters by the caller's
organisation, so a forged cursor can only skip rows the caller may see anyway. Anything that does
not decode to the expected shape is a 422, never a 500; so are characters outside the base64url
alphabet (the decoder would skip them) and positions no page can end at (an id outside
PostgreSQL's bigint, on which the query would fail).
"""

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assetwatch.domain import FieldError, InvalidInput

T = TypeVar("T")
C = TypeVar("C", bound=BaseModel)

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
BIGINT_MAX = 2**63 - 1
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class CursorModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AfterId(CursorModel):
    """Position in a list ordered by id."""

    after_id: Annotated[int, Field(ge=0, le=BIGINT_MAX)]  # 0: a page whose last row had no id


def encode_cursor(position: CursorModel) -> str:
    return base64.urlsafe_b64encode(position.model_dump_json().encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, shape: type[C]) -> C | None:
    if cursor is None:
        return None
    try:
        if not _BASE64URL.fullmatch(cursor):
            raise ValueError("not base64url")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return shape.model_validate_json(raw)
    except (binascii.Error, ValueError, ValidationError) as error:
        raise InvalidInput(
            "the cursor is not valid: pass back next_cursor exactly as received",
            [FieldError(("cursor",), "invalid cursor", "cursor")],
        ) from error


def page_by_id(rows: Sequence[T], limit: int, id_of: Callable[[T], int | None]) -> Page[T]:
    """`rows` was fetched with `limit + 1`: the extra row only says there is a next page."""
    if len(rows) <= limit:
        return Page(list(rows), None)
    items = list(rows[:limit])
    return Page(items, encode_cursor(AfterId(after_id=id_of(items[-1]) or 0)))
