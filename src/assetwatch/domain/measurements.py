"""Measurements: one timestamped value of one signal, and the rules a batch of them obeys."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from operator import lt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from assetwatch.domain.errors import FieldError
from assetwatch.domain.types import FiniteFloat, Timestamp

MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_ID = 2**63 - 1  # ids are positive 64-bit integers

SignalId = Annotated[int, Field(ge=1, le=MAX_ID)]


class Measurement(BaseModel):
    """One point, as a client sends it: the rules every point of a batch obeys."""

    model_config = ConfigDict(extra="forbid")

    signal_id: SignalId = Field(examples=[1])
    ts: Timestamp = Field(examples=["2026-11-22T08:00:00Z"])
    value: FiniteFloat = Field(examples=[81.5])


# The earliest instant a `Timestamp` can hold (the type refuses what lies before it in UTC).
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Points:
    """A batch of valid points as three columns (point i is `signal_ids[i], stamps[i],
    values[i]`), in the order they were sent.

    Columns, not a `Measurement` per point: a batch holds thousands, the API decodes a body
    straight into them (api/ingest_body.py) and the statement sends each column as one array.
    Whoever builds one guarantees what `Measurement` checks: positive ids, finite values,
    stamps in the stdlib `UTC` (`Points.of` builds one from measurements).
    """

    signal_ids: list[int]
    stamps: list[datetime]
    values: list[float]

    @classmethod
    def of(cls, points: Iterable[Measurement]) -> "Points":
        listed = list(points)
        return cls([p.signal_id for p in listed], [p.ts for p in listed], [p.value for p in listed])

    def __len__(self) -> int:
        return len(self.signal_ids)

    def future_errors(self, now: datetime, skew: timedelta = MAX_CLOCK_SKEW) -> list[FieldError]:
        """One error per point stamped more than `skew` ahead of `now`: `("points", i, "ts")`."""
        latest = now + skew
        if not self.stamps or max(self.stamps) <= latest:  # the usual batch: one pass in C
            return []
        msg = f"more than {int(skew.total_seconds())} s in the future"
        return [
            FieldError(("points", index, "ts"), msg, "future_timestamp")
            for index, ts in enumerate(self.stamps)
            if ts > latest
        ]

    def last_write_wins(self) -> "Points":
        """One point per (signal, ts): a later duplicate in the batch replaces an earlier one.

        Sorted by (signal, ts) so concurrent batches lock rows in the same order (no deadlocks).
        A batch already in that order with no repeats (a device's usual batch) is returned as
        it is, after one pass of comparisons.
        """
        keys = list(zip(self.signal_ids, self.stamps, strict=True))
        if all(map(lt, keys, islice(keys, 1, None))):
            return self
        latest = dict(zip(keys, self.values, strict=True))
        ordered = sorted(latest)
        return Points(
            [signal_id for signal_id, _ in ordered],
            [ts for _, ts in ordered],
            [latest[key] for key in ordered],
        )

    def first_index_of_each(self, signal_ids: set[int]) -> list[tuple[int, int]]:
        """(index, signal id) of the first point of each of `signal_ids`, in batch order."""
        seen: set[int] = set()
        found = []
        for index, signal_id in enumerate(self.signal_ids):
            if signal_id in signal_ids and signal_id not in seen:
                seen.add(signal_id)
                found.append((index, signal_id))
        return found
