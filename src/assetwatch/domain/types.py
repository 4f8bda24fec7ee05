"""Field types shared by the domain models."""

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
)

# Every entity validates assignments, so a rejected value never reaches the database.
ENTITY_CONFIG = ConfigDict(validate_assignment=True, extra="forbid")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("use lowercase letters, digits and inner hyphens")
    return value


Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=63),
    AfterValidator(_slug),
]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


# Checked inside pydantic-core (no Python call per value: a batch holds thousands).
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


# Attributes are labels, not documents: an object and at most three levels of objects and
# lists inside it. The bound keeps the HTTP contract exact (its schema is written out to this
# depth) and deep JSON out of the database.
MAX_ATTRIBUTE_DEPTH = 4


def _finite_json(value: Any, depth: int = 0) -> Any:
    """JSON as PostgreSQL's jsonb accepts it: no NaN or Infinity anywhere inside, and no more
    than MAX_ATTRIBUTE_DEPTH objects and lists nested in one another."""
    if isinstance(value, float):
        _finite(value)
    elif isinstance(value, dict | list):
        if depth == MAX_ATTRIBUTE_DEPTH:
            raise ValueError(f"at most {MAX_ATTRIBUTE_DEPTH} levels of objects and lists")
        for item in value.values() if isinstance(value, dict) else value:
            _finite_json(item, depth + 1)
    return value


# Free-form attributes of an asset, stored as jsonb.
Attributes = Annotated[dict[str, JsonValue], AfterValidator(_finite_json)]


def _in_utc(value: datetime) -> datetime:
    """The instant, in UTC.

    0001-01-01T00:00:00+01:00 is year 0 in UTC: PostgreSQL would store it, but neither Python
    nor the API could show it, so it is refused here, in the one place every instant passes.
    Stamps that share the stdlib `UTC` also compare and hash without a `utcoffset()` call each
    (pydantic gives every parsed stamp a tzinfo of its own), so sorting and de-duplicating a
    batch repays this call per point.
    """
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must lie between years 1 and 9999 in UTC") from None


_DATE_FIRST = re.compile(r"\d{4}-")


def _date_time_text(value: Any) -> Any:
    """Instants are RFC 3339 text (or datetimes): pydantic would also read a number, or a
    string of one, as seconds since 1970, which the HTTP contract does not promise."""
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE_FIRST.match(value)):
        return value
    raise ValueError("must be an RFC 3339 date-time, such as 2026-11-22T08:00:00Z")


Timestamp = Annotated[AwareDatetime, BeforeValidator(_date_time_text), AfterValidator(_in_utc)]


def utcnow() -> datetime:
    return datetime.now(UTC)
