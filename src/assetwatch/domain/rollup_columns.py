"""A signal's rollup buckets held as columns, which is how the store computes them: a read of
10,000 buckets would otherwise build 10,000 `Rollup`s and datetimes only to encode them. It is a
sequence of `Rollup` (each built when asked for); the API encodes the columns directly."""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from assetwatch.domain.readings import Rollup

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RollupColumns(Sequence[Rollup]):
    """Buckets oldest first: `starts` in whole seconds since the epoch, then each bucket's
    count, min, max and avg, one array each, all of one length."""

    __slots__ = ("avgs", "counts", "maxes", "mins", "starts")

    def __init__(
        self,
        starts: NDArray[np.int64],
        counts: NDArray[np.int64],
        mins: NDArray[np.float64],
        maxes: NDArray[np.float64],
        avgs: NDArray[np.float64],
    ) -> None:
        if not starts.size == counts.size == mins.size == maxes.size == avgs.size:
            raise ValueError("rollup columns must have one length")
        self.starts = starts
        self.counts = counts
        self.mins = mins
        self.maxes = maxes
        self.avgs = avgs

    def __len__(self) -> int:
        return int(self.starts.size)

    @overload
    def __getitem__(self, index: int) -> Rollup: ...

    @overload
    def __getitem__(self, index: slice) -> "RollupColumns": ...

    def __getitem__(self, index: int | slice) -> "Rollup | RollupColumns":
        if isinstance(index, slice):
            return RollupColumns(
                self.starts[index],
                self.counts[index],
                self.mins[index],
                self.maxes[index],
                self.avgs[index],
            )
        return Rollup(
            _EPOCH + timedelta(seconds=int(self.starts[index])),
            int(self.counts[index]),
            float(self.mins[index]),
            float(self.maxes[index]),
            float(self.avgs[index]),
        )

    def __iter__(self) -> Iterator[Rollup]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence (a list among them) of equal rollups, in the same order."""
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__: Any = None

    def __repr__(self) -> str:
        return f"RollupColumns({list(self)!r})"
