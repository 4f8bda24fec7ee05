"""Many segment blobs decoded together (`segment`'s format): one varint pass and segmented
prefix sums over all of them, instead of a dozen numpy calls per blob; what rollups use."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

from assetwatch.encoding import segment
from assetwatch.encoding.varint import decode_varints, ranges, segmented_cumsum, unzigzag


def decode_many(blobs: list[bytes]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Several blobs' points, concatenated in the order given, decoded together: one varint
    pass and segmented prefix sums instead of a dozen numpy calls per blob."""
    ts, values, _ = decode_counted(blobs)
    return ts, values


def decode_counted(
    blobs: list[bytes],
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """`decode_many`, and how many of the points came from each blob."""
    infos: list[segment.SegmentInfo] = []
    payloads: list[bytes] = []
    raw: list[tuple[int, bytes]] = []
    for blob in blobs:
        info, offset = segment.read_header(blob)
        if info.mode is segment.ValueMode.RAW:
            raw.append((len(infos), blob))
            continue
        infos.append(info)
        payloads.append(segment.inflate(blob, offset))
    if raw:  # rare: decode one by one, in order
        parts = [segment.decode(blob) for blob in blobs]
        sizes = np.array([p[0].size for p in parts], dtype=np.int64)
        return _joined([p[0] for p in parts]), _joined([p[1] for p in parts]), sizes
    counts = np.array([info.count for info in infos], dtype=np.int64)
    if not infos:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), counts
    ints = decode_varints(b"".join(payloads))
    if ints.size != 2 * int(counts.sum()):
        raise ValueError(f"segment payloads hold {ints.size} varints for {counts.sum()} points")
    # Each payload: n timestamp varints, then n value varints. Split the two streams.
    payload_starts = np.concatenate(([0], np.cumsum(2 * counts)[:-1]))
    ts_index = ranges(payload_starts, counts)
    ts_stream = unzigzag(ints[ts_index])
    value_stream = ints[ts_index + np.repeat(counts, counts)]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    nonempty = counts > 0
    firsts = ts_stream[starts[nonempty]]
    ts_stream[starts[nonempty]] = 0  # t0 leaves the delta stream, added back below
    deltas = segmented_cumsum(ts_stream, starts, counts)
    ts = segmented_cumsum(deltas, starts, counts) + np.repeat(firsts, counts[nonempty])
    modes = np.repeat(np.array([info.mode for info in infos], dtype=np.int64), counts)
    values = np.empty(ts.size, dtype=np.float64)
    decimal = modes == segment.ValueMode.DECIMAL
    if decimal.any():
        scales = np.repeat(np.array([10.0**info.scale for info in infos]), counts)
        ints_dec = segmented_cumsum(unzigzag(value_stream), starts, counts)
        values[decimal] = ints_dec[decimal].astype(np.float64) / scales[decimal]
    if not decimal.all():
        prefix = np.bitwise_xor.accumulate(value_stream)
        before = np.concatenate((np.zeros(1, dtype=np.uint64), prefix))[starts]
        xor = prefix ^ np.repeat(before, counts)
        values[~decimal] = xor.view(np.float64)[~decimal]
    for info, start in zip(infos, starts.tolist(), strict=True):
        if info.negative_zeros:
            values[[start + i for i in info.negative_zeros]] = -0.0
    return ts, values, counts


def _joined(arrays: list[NDArray[Any]]) -> NDArray[Any]:
    return np.concatenate(arrays) if arrays else np.zeros(0)
