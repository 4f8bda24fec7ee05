"""Field types shared by the domain models."""

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
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


def _finite_json(value: Any) -> Any:
    """JSON as PostgreSQL's jsonb accepts it: no NaN or Infinity anywhere inside."""
    if isinstance(value, float):
        _finite(value)
    elif isinstance(value, dict):
        for item in value.values():
            _finite_json(item)
    elif isinstance(value, list):
        for item in value:
            _finite_json(item)
    return value


# Free-form attributes of an asset, stored as jsonb.
Attributes = Annotated[dict[str, JsonValue], AfterValidator(_finite_json)]
Timestamp = AwareDatetime


def utcnow() -> datetime:
    return datetime.now(UTC)
