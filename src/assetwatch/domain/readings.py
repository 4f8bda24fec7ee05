"""Read-side shapes of telemetry (rows, not entities) and the rules of time ranges and buckets."""

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from assetwatch.domain.errors import FieldError, InvalidInput

MAX_BUCKETS = 10_000
BUCKET_PATTERN = r"^([1-9][0-9]{0,5})([smhd])$"
_BUCKET = re.compile(BUCKET_PATTERN)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# Buckets align on this origin (a Monday, midnight UTC): hours on the hour, days at midnight UTC.
BUCKET_ORIGIN = datetime(2000, 1, 3, tzinfo=UTC)


# Rows of the hot reads, built by the hundred per request and serialised by orjson. A raw
# range's rows, the commonest, are typed dicts: cheaper to build and to encode than dataclasses.
# The others are plain dataclasses (no `frozen`, no `__slots__`): orjson encodes one faster from
# its `__dict__` than over slots, and a frozen `__init__` costs more than a plain one.
class Reading(TypedDict):
    ts: datetime
    value: float


@dataclass
class Rollup:
    bucket_start: datetime
    count: int
    min: float
    max: float
    avg: float


@dataclass
class LatestPoint:
    """One signal of an asset and its latest point (None when it has none yet)."""

    signal_id: int
    name: str
    unit: str | None
    ts: datetime | None
    value: float | None


def parse_bucket(text: str) -> timedelta:
    """`30s`, `1m`, `15m`, `1h`, `1d` … → a timedelta."""
    match = _BUCKET.match(text.strip())
    if not match:
        raise InvalidInput(
            "bucket must be a number followed by s, m, h or d (e.g. 1m, 1h, 1d)",
            [FieldError(("bucket",), "invalid bucket", "bucket")],
        )
    amount, unit = match.groups()
    return timedelta(**{_UNITS[unit]: int(amount)})


def check_range(start: datetime, end: datetime) -> None:
    if start >= end:
        raise InvalidInput(
            "start must be before end",
            [FieldError(("start",), "start must be before end", "range")],
        )


def check_bucket_count(start: datetime, end: datetime, bucket: timedelta) -> int:
    """The number of buckets `[start, end)` spans; more than MAX_BUCKETS is refused."""
    check_range(start, end)
    try:
        first = BUCKET_ORIGIN + ((start - BUCKET_ORIGIN) // bucket) * bucket  # may precede start
    except OverflowError:  # the first bucket would start before year 1
        raise InvalidInput(
            "the first bucket would start before year 1: narrow the bucket or move the range",
            [FieldError(("bucket",), "bucket out of range", "bucket_range")],
        ) from None
    count = math.ceil((end - first) / bucket)
    if count > MAX_BUCKETS:
        raise InvalidInput(
            f"{count} buckets requested, at most {MAX_BUCKETS}: widen the bucket or the range",
            [FieldError(("bucket",), "too many buckets", "bucket_count")],
        )
    return count
