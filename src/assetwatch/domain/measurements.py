"""Measurements: one timestamped value of one signal."""

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from assetwatch.domain._fields import FiniteFloat, Timestamp

MAX_CLOCK_SKEW = timedelta(minutes=5)


class Measurement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signal_id: int
    ts: Timestamp
    value: FiniteFloat

    def is_from_the_future(self, now: datetime, skew: timedelta = MAX_CLOCK_SKEW) -> bool:
        return self.ts > now + skew
