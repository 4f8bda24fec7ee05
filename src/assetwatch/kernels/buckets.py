"""Points summed up per bucket in one compiled pass: count, min, max and sum of each run of
points that share a signal and a bucket (what `_aggregated` in `db.telemetry_merge` returns)."""

import numpy as np
from numpy.typing import NDArray

from assetwatch.kernels.compiled import Kernel


def _bucket_partials(
    signal: NDArray[np.int64],
    ts: NDArray[np.int64],
    values: NDArray[np.float64],
    window: NDArray[np.int64],
    out_signal: NDArray[np.int64],
    out_bucket: NDArray[np.int64],
    out_count: NDArray[np.int64],
    out_low: NDArray[np.float64],
    out_high: NDArray[np.float64],
    out_total: NDArray[np.float64],
) -> int:
    """Points sorted by (signal, ts), those in [window[0], window[1]) in buckets of window[2] µs
    from window[3]: one output row per (signal, bucket) with points, in order; their number.
    Sums add the points in order."""
    low, high, width, origin = window[0], window[1], window[2], window[3]
    m = -1
    for i in range(ts.size):
        t = ts[i]
        if t < low or t >= high:
            continue
        start = (t - origin) // width * width + origin
        value = values[i]
        if m < 0 or signal[i] != out_signal[m] or start != out_bucket[m]:
            m += 1
            out_signal[m] = signal[i]
            out_bucket[m] = start
            out_count[m] = 1
            out_low[m] = value
            out_high[m] = value
            out_total[m] = value
            continue
        out_count[m] += 1
        out_low[m] = min(out_low[m], value)
        out_high[m] = max(out_high[m], value)
        out_total[m] += value
    return m + 1


kernel = Kernel(_bucket_partials)


def bucket_partials(
    signal: NDArray[np.int64],
    ts: NDArray[np.int64],
    values: NDArray[np.float64],
    window: tuple[int, int, int, int],
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
]:
    """(signal, bucket start, count, min, max, sum) per bucket of the points sorted by (signal,
    ts) in [low, high), buckets of `width` µs from `origin`: `window` is (low, high, width,
    origin)."""
    n = ts.size
    ints = [np.empty(n, dtype=np.int64) for _ in range(3)]
    floats = [np.empty(n, dtype=np.float64) for _ in range(3)]
    m = kernel(signal, ts, values, np.array(window, dtype=np.int64), *ints, *floats)
    return ints[0][:m], ints[1][:m], ints[2][:m], floats[0][:m], floats[1][:m], floats[2][:m]


def compile_kernel() -> None:
    """Compile the kernel now (a call on one point)."""
    one = np.zeros(1, dtype=np.int64)
    bucket_partials(one, one, np.zeros(1, dtype=np.float64), (0, 1, 1, 0))
