"""Integer arrays as bytes, vectorised: zigzag, LEB128 varints, and per-segment prefix sums.

The building blocks of `segment`'s format; numpy throughout, no Python loop per value.
"""

import numpy as np
from numpy.typing import NDArray

_U64 = np.uint64
_SEVEN = _U64(7)
_LOW7 = _U64(0x7F)
# A value needs 1 + (how many of these it reaches) bytes as a varint.
_VARINT_STEPS = np.array([1 << (7 * i) for i in range(1, 10)], dtype=np.uint64)


def ranges(starts: NDArray[np.int64], lengths: NDArray[np.int64]) -> NDArray[np.int64]:
    """The indices start, start + 1, ... of every (start, length), concatenated."""
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - offsets, lengths)


def segmented_cumsum(
    x: NDArray[np.int64], starts: NDArray[np.int64], lengths: NDArray[np.int64]
) -> NDArray[np.int64]:
    """A cumulative sum that restarts at each segment (wrapping mod 2**64, as the format)."""
    total = np.cumsum(x)
    nonempty = lengths > 0
    base = total[starts[nonempty]] - x[starts[nonempty]]
    return total - np.repeat(base, lengths[nonempty])


def read_varint(blob: bytes, at: int) -> tuple[int, int]:
    """One varint at `at` and where the next byte is: plain Python, a few bytes at most."""
    value = shift = 0
    for end in range(at, min(len(blob), at + 10)):
        value |= (blob[end] & 0x7F) << shift
        shift += 7
        if blob[end] < 0x80:
            return value, end + 1
    raise ValueError("segment header holds a bad varint")


def zigzag(x: NDArray[np.int64]) -> NDArray[np.uint64]:
    return ((x << 1) ^ (x >> 63)).view(np.uint64)


def unzigzag(u: NDArray[np.uint64]) -> NDArray[np.int64]:
    return ((u >> _U64(1)) ^ (_U64(0) - (u & _U64(1)))).view(np.int64)


def encode_varints(u: NDArray[np.uint64]) -> bytes:
    """LEB128 of every value, vectorised: each value repeated once per byte it needs."""
    lengths = 1 + np.searchsorted(_VARINT_STEPS, u, side="right")
    ends = np.cumsum(lengths)
    position = np.arange(ends[-1] if ends.size else 0) - np.repeat(ends - lengths, lengths)
    groups = np.repeat(u, lengths) >> (_SEVEN * position.astype(np.uint64))
    out = (groups & _LOW7).astype(np.uint8) | np.uint8(0x80)
    out[ends - 1] &= np.uint8(0x7F)
    return out.tobytes()


def decode_varints(data: bytes) -> NDArray[np.uint64]:
    """Inverse of `encode_varints`: terminators end groups; each value takes its first byte,
    then, for the values that have one, its second, third, ... (a pass per byte place, over
    only the values that long: most are one or two bytes)."""
    b = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(b < 0x80)
    if b.size and (ends.size == 0 or ends[-1] != b.size - 1):
        raise ValueError("truncated varint")
    if ends.size == 0:
        return np.zeros(0, dtype=np.uint64)
    if ends.size == b.size:  # every varint one byte
        return b.astype(np.uint64)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    if int(lengths.max()) > 10:
        raise ValueError("varint longer than 64 bits")
    values = (b[starts] & np.uint8(0x7F)).astype(np.uint64)
    longer = np.flatnonzero(lengths > 1)
    place = 1
    while longer.size:
        at = starts[longer] + place
        values[longer] |= (b[at] & np.uint8(0x7F)).astype(np.uint64) << _U64(7 * place)
        longer = longer[lengths[longer] > place + 1]
        place += 1
    return values
