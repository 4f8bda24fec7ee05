"""Many segment blobs decoded together (`segment`'s format): their headers in one compiled
pass, each payload inflated by zlib, then every payload in one more (`kernels.segments`); what
rollups and raw pages use. `segment.decode` stays the plain numpy reference for one blob."""

import itertools

import numpy as np
from numpy.typing import NDArray

from assetwatch.encoding import segment
from assetwatch.encoding.scaled import POWERS_OF_TEN
from assetwatch.kernels import segments as kernels


def decode_many(blobs: list[bytes]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Several blobs' points, concatenated in the order given, decoded together."""
    ts, values, _ = decode_counted(blobs)
    return ts, values


def decode_counted(
    blobs: list[bytes],
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """`decode_many`, and how many of the points came from each blob; ValueError, naming the
    damage where `segment`'s checks can, if any blob is not a valid one."""
    n = len(blobs)
    data = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    bounds = _bounds(blobs)
    payload_at, counts, modes, scales = (np.zeros(n, dtype=np.int64) for _ in range(4))
    bad = kernels.read_headers(data, bounds, payload_at, counts, modes, scales)
    if bad >= 0:
        segment.read_header(blobs[bad])  # raises, naming what is wrong
        raise ValueError("segment header is damaged")
    negative_zeros: dict[int, tuple[int, ...]] = {}
    for k in np.flatnonzero(payload_at < 0).tolist():  # rare: a list of -0.0 positions
        info, payload_at[k] = segment.read_header(blobs[k])
        negative_zeros[k] = info.negative_zeros
    payloads = [
        segment.inflate(blob, offset)
        for blob, offset in zip(blobs, payload_at.tolist(), strict=True)
    ]
    ts = np.empty(int(counts.sum()), dtype=np.int64)
    values = np.empty(ts.size, dtype=np.float64)
    bad = kernels.decode_payloads(
        np.frombuffer(b"".join(payloads), dtype=np.uint8),
        _bounds(payloads),
        counts,
        modes & ~segment.NEGATIVE_ZEROS,
        POWERS_OF_TEN[scales],
        ts,
        values,
        values.view(np.uint64),
    )
    if bad >= 0:
        raise ValueError(f"segment payload {bad} does not hold its {counts[bad]} points")
    if negative_zeros:
        starts = np.cumsum(counts) - counts
        for k, positions in negative_zeros.items():
            values[[int(starts[k]) + i for i in positions]] = -0.0
    return ts, values, counts


def _bounds(parts: list[bytes]) -> NDArray[np.int64]:
    """0, then where each part ends in their concatenation."""
    return np.array([0, *itertools.accumulate(map(len, parts))], dtype=np.int64)
