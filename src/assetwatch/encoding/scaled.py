"""Floats that are decimals as integers at a power-of-ten scale, exactly (what sensors report).

`to_scaled_ints` finds the smallest scale k at which `from_scaled_ints` gives every value back
bit for bit; the segment codec stores such values as integer steps, and slot summaries as
integer minima, maxima and sums.
"""

import numpy as np
from numpy.typing import NDArray

MAX_DECIMAL_SCALE = 15
# 10**k as float64, exact for every k here (all below 2**53).
POWERS_OF_TEN = np.array([float(10**k) for k in range(MAX_DECIMAL_SCALE + 1)])
_TWO_53 = float(2**53)


def to_scaled_ints(values: NDArray[np.float64]) -> tuple[int, NDArray[np.int64]] | None:
    """The smallest scale k, with the ints, at which `from_scaled_ints` gives `values` back
    exactly; None when no k up to MAX_DECIMAL_SCALE does (-0.0 never does: no int is -0)."""
    target = values.view(np.int64)
    for scale in range(MAX_DECIMAL_SCALE + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = np.rint(values * np.float64(10**scale))
        if not bool(np.all(np.abs(scaled) <= _TWO_53)):
            return None  # a larger scale only grows the magnitudes
        ints = scaled.astype(np.int64)
        if np.array_equal(from_scaled_ints(ints, scale).view(np.int64), target):
            return scale, ints
    return None


def from_scaled_ints(ints: NDArray[np.int64], scale: int) -> NDArray[np.float64]:
    floats = ints.astype(np.float64)
    return floats if scale == 0 else floats / POWERS_OF_TEN[scale]
