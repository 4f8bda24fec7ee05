"""Many segment blobs decoded together (`segment`'s format): their headers in one compiled
pass, then each blob inflated and decoded in another, on several threads when there are many
(`kernels.segments`); what rollups and raw pages use. `segment.decode` stays the plain numpy
reference for one blob."""

import itertools

import numpy as np
from numpy.typing import NDArray

from assetwatch.encoding import segment
from assetwatch.encoding.scaled import POWERS_OF_TEN
from assetwatch.kernels import segments as kernels

# A payload holds at most two 10-byte varints a point (a timestamp, a value), or a varint and 8
# bytes (raw values): inflating into more room than that never fails for a valid blob.
_MOST_PAYLOAD_BYTES_A_POINT = 20
_PAYLOAD_SLACK = 16
# Deflate inflates a byte to at most 1,032, and every point takes a byte at least: a count
# beyond that is damage (and would otherwise size the buffers).
_MOST_INFLATION = 1032


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
    overfull = np.flatnonzero(counts > (bounds[1:] - bounds[:-1] - payload_at) * _MOST_INFLATION)
    if overfull.size:
        k = int(overfull[0])
        raise ValueError(f"segment {k} claims {counts[k]} points, more than its payload can hold")
    scratch_at = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts * _MOST_PAYLOAD_BYTES_A_POINT + _PAYLOAD_SLACK, out=scratch_at[1:])
    out_at = np.zeros(n, dtype=np.int64)
    np.cumsum(counts[:-1], out=out_at[1:])
    ts = np.empty(int(counts.sum()), dtype=np.int64)
    values = np.empty(ts.size, dtype=np.float64)
    damaged = np.zeros(n, dtype=np.uint8)
    kernels.decoder_for(n)(
        data,
        bounds[:-1] + payload_at,
        bounds[1:],
        counts,
        modes & ~segment.NEGATIVE_ZEROS,
        POWERS_OF_TEN[scales],
        np.empty(int(scratch_at[-1]), dtype=np.uint8),
        scratch_at,
        np.zeros(2 * n, dtype=np.uint64),
        out_at,
        ts,
        values,
        values.view(np.uint64),
        damaged,
    )
    if damaged.any():
        k = int(np.flatnonzero(damaged)[0])
        segment.inflate(blobs[k], int(payload_at[k]))  # raises, naming a damaged stream
        raise ValueError(f"segment payload {k} does not hold its {counts[k]} points")
    if negative_zeros:
        for k, positions in negative_zeros.items():
            values[[int(out_at[k]) + i for i in positions]] = -0.0
    return ts, values, counts


def _bounds(parts: list[bytes]) -> NDArray[np.int64]:
    """0, then where each part ends in their concatenation."""
    return np.array([0, *itertools.accumulate(map(len, parts))], dtype=np.int64)
