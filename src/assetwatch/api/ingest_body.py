"""An ingest body decoded into domain `Points`: the canonical model's answers, faster.

The canonical shape is `MeasurementBatch`, a list of domain `Measurement`s, whose `Timestamp` rule
makes a Python call per point (the conversion to the stdlib `UTC`: pydantic-core gives each
parsed stamp a tzinfo of its own, which makes sorting them slow).

The fast path validates the same fields inside pydantic-core into plain dicts, with the same
constraints (`SignalId`, `FiniteFloat`), except that a stamp spelled as `RFC3339` below allows
(`2026-11-22T08:00:00Z`, `2026-11-22 09:00:00.25+01:00`) is kept as text and parsed by
`datetime.fromisoformat`, in C, which gives `Z` the stdlib `UTC` itself. Every other input is
decided by the canonical model, so clients see the same accepted spellings, values and 422s:
- a stamp in another spelling pydantic accepts (unix seconds, `t`/`z` in lower case, 7 or more
  fraction digits) goes through `Timestamp` itself, inside the fast model;
- a body the fast model refuses, or an RFC 3339 stamp that `fromisoformat` refuses (day 31 of
  a 30-day month) or that leaves years 1 to 9999 in UTC, is validated again by the canonical
  model, whose result or error is the answer.
`fromisoformat` is laxer than the canonical model about offsets (it reads `+00:60` as one hour),
so `RFC3339` admits only the canonical model's ranges for the time of day and the offset.
tests/unit/test_ingest_body.py checks that the two agree, on explicit edges and generated bodies.
"""

from datetime import UTC, datetime
from operator import itemgetter
from typing import Annotated

from pydantic import (
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    with_config,
)
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from assetwatch.api.schemas import MeasurementBatch
from assetwatch.domain import Points
from assetwatch.domain.measurements import SignalId
from assetwatch.domain.types import FiniteFloat, Timestamp

# The stamps the fast path parses: RFC 3339 date-times, the fraction to microseconds (all
# `fromisoformat` and PostgreSQL keep), `T` or a space between date and time, `Z` or an offset.
# Hours 00-23, minutes and seconds 00-59 (no leap second), offsets -23:59 to +23:59, as the
# canonical model has them; the date's ranges are left to `fromisoformat`, which refuses as it does.
RFC3339 = (
    r"^\d{4}-\d{2}-\d{2}[T ](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$"
)
_Rfc3339Text = Annotated[str, StringConstraints(pattern=RFC3339)]


@with_config(ConfigDict(extra="forbid"))
class _Point(TypedDict):
    signal_id: SignalId
    ts: Annotated[_Rfc3339Text | Timestamp, Field(union_mode="left_to_right")]
    value: FiniteFloat


@with_config(ConfigDict(extra="forbid"))
class _Body(TypedDict):
    points: list[_Point]


_fast = TypeAdapter(_Body)
_canonical = TypeAdapter(MeasurementBatch)
_signal_id, _ts, _value = itemgetter("signal_id"), itemgetter("ts"), itemgetter("value")


def _in_utc(raw: list[str | datetime]) -> list[datetime]:
    """The stamps as instants in `UTC`; ValueError/OverflowError when one cannot be."""
    stamps = [datetime.fromisoformat(ts) if isinstance(ts, str) else ts for ts in raw]
    if any(ts.tzinfo is not UTC for ts in stamps):  # an offset other than Z: rare
        stamps = [ts.astimezone(UTC) for ts in stamps]
    return stamps


def decode_points(body: bytes) -> Points:
    """The batch in `body`; raises the canonical model's `ValidationError` if it is not one."""
    try:
        points = _fast.validate_json(body)["points"]
        stamps = _in_utc(list(map(_ts, points)))
    except (ValidationError, ValueError, OverflowError):
        return Points.of(_canonical.validate_json(body).points)
    return Points(list(map(_signal_id, points)), stamps, list(map(_value, points)))
