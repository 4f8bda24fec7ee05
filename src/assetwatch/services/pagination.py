"""Keyset pages and their cursors.

A cursor is the position of the last row served, written as a whole number: the row's id in a
list ordered by id, the point's instant in microseconds since 1970 (UTC) in a signal's readings.
Clients pass it back unchanged. It is not secret: every query that uses it still filters by the
caller's organisation, so a forged cursor can only skip rows the caller may see anyway. Its
pattern is in the HTTP contract, and every string matching it is a position: one past either
end of what can exist reads as that end (an empty page, or the whole listing).
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from assetwatch.domain import FieldError, InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
BIGINT_MAX = 2**63 - 1
CURSOR_PATTERN = r"^-?[0-9]{1,19}$"
CURSOR_MAX_LENGTH = 20
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# The instants a cursor can name: the first representable one, and the one before the last
# (so that "just after it" is representable too).
_FIRST_INSTANT = datetime.min.replace(tzinfo=UTC)
_LAST_INSTANT = datetime.max.replace(tzinfo=UTC) - _MICROSECOND


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _position(cursor: str) -> int:
    if not _CURSOR.fullmatch(cursor):
        raise InvalidInput(
            "the cursor is not valid: pass back next_cursor exactly as received",
            [FieldError(("cursor",), "invalid cursor", "cursor")],
        )
    return int(cursor)


def after_id(cursor: str | None) -> int | None:
    """The id a list resumes after; None for the first page."""
    if cursor is None:
        return None
    return min(max(_position(cursor), 0), BIGINT_MAX)


def after_instant(cursor: str | None) -> datetime | None:
    """The instant a signal's readings resume after; None for the first page."""
    if cursor is None:
        return None
    micros = _position(cursor)
    first = (_FIRST_INSTANT - _EPOCH) // _MICROSECOND
    last = (_LAST_INSTANT - _EPOCH) // _MICROSECOND
    return _EPOCH + timedelta(microseconds=min(max(micros, first), last))


def instant_cursor(ts: datetime) -> str:
    return str((ts - _EPOCH) // _MICROSECOND)


def page_by_id(rows: Sequence[T], limit: int, id_of: Callable[[T], int | None]) -> Page[T]:
    """`rows` was fetched with `limit + 1`: the extra row only says there is a next page."""
    if len(rows) <= limit:
        return Page(list(rows), None)
    items = list(rows[:limit])
    return Page(items, str(id_of(items[-1]) or 0))
