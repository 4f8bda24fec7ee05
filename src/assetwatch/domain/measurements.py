"""Measurements: one timestamped value of one signal, and the rules a batch of them obeys."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assetwatch.domain.types import FiniteFloat, Timestamp

MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_ID = 2**63 - 1  # ids are positive 64-bit integers


class Measurement(BaseModel):
    """Validated once, straight from the request bytes: a batch holds thousands of them."""

    model_config = ConfigDict(extra="forbid")

    signal_id: int = Field(ge=1, le=MAX_ID, examples=[1])
    ts: Timestamp = Field(examples=["2026-11-22T08:00:00Z"])
    value: FiniteFloat = Field(examples=[81.5])


# The earliest instant a `Timestamp` can hold (the type refuses what lies before it in UTC).
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


def future_point_errors(
    points: Sequence[Measurement], now: datetime, skew: timedelta = MAX_CLOCK_SKEW
) -> list[dict[str, Any]]:
    """One error per point stamped more than `skew` ahead of `now`, located by its index."""
    latest = now + skew
    msg = f"more than {int(skew.total_seconds())} s in the future"
    return [
        {"loc": ["body", "points", index, "ts"], "msg": msg, "type": "future_timestamp"}
        for index, point in enumerate(points)
        if point.ts > latest
    ]


def last_write_wins(points: Sequence[Measurement]) -> list[Measurement]:
    """One point per (signal, ts): a later duplicate in the batch replaces an earlier one.

    Sorted by (signal, ts) so concurrent batches lock rows in the same order (no deadlocks).
    """
    latest = {(p.signal_id, p.ts): p for p in points}
    return [latest[k] for k in sorted(latest)]
