"""The loops that decode many segment blobs (`encoding.segment`'s format, version 1).

A blob's varints are a byte-at-a-time stream: numpy decodes them only in a dozen whole-array
passes, while one compiled pass reads each byte once. Each kernel returns -1, or the index of
the first blob it found damaged (the caller then names the damage with `segment`'s own checks).
"""

import numpy as np
from numpy.typing import NDArray

from assetwatch.encoding.scaled import MAX_DECIMAL_SCALE
from assetwatch.encoding.segment import FORMAT_VERSION, NEGATIVE_ZEROS, ValueMode
from assetwatch.kernels.compiled import Kernel

# The format's constants as plain ints, which numba freezes into the compiled code.
_VERSION, _FLAG = int(FORMAT_VERSION), int(NEGATIVE_ZEROS)
_DECIMAL, _XOR, _RAW = int(ValueMode.DECIMAL), int(ValueMode.XOR), int(ValueMode.RAW)


def _read_headers(
    data: NDArray[np.uint8],
    bounds: NDArray[np.int64],
    payload_at: NDArray[np.int64],
    counts: NDArray[np.int64],
    modes: NDArray[np.int64],
    scales: NDArray[np.int64],
) -> int:
    """Blob k is data[bounds[k]:bounds[k + 1]]: its mode byte (flags included), scale, count
    and where its zlib payload starts in it. A blob with a list of -0.0 positions is left to
    `segment.read_header` (payload_at -1): rare, and the list is Python's to apply."""
    for k in range(bounds.size - 1):
        at = bounds[k]
        end = bounds[k + 1]
        if end - at < 4 or data[at] != _VERSION:
            return k
        flags = np.int64(data[at + 1])
        mode = flags & ~_FLAG
        scale = np.int64(data[at + 2])
        if mode > _RAW or scale > MAX_DECIMAL_SCALE or (scale != 0 and mode != _DECIMAL):
            return k
        at += 3
        count = np.int64(0)
        shift = 0
        while True:
            if at >= end or shift > 63:
                return k
            byte = np.int64(data[at])
            at += 1
            count |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
        if count < 0:
            return k
        modes[k] = flags
        scales[k] = scale
        counts[k] = count
        payload_at[k] = -1 if flags & _FLAG else at - bounds[k]
    return -1


def _decode_payloads(
    data: NDArray[np.uint8],
    bounds: NDArray[np.int64],
    counts: NDArray[np.int64],
    modes: NDArray[np.int64],
    divisors: NDArray[np.float64],
    ts: NDArray[np.int64],
    values: NDArray[np.float64],
    bits: NDArray[np.uint64],
) -> int:
    """Inflated payload k (data[bounds[k]:bounds[k + 1]]) into its slice of ts and values
    (`bits` is `values` seen as uint64): n timestamp varints (t0, the first delta, then deltas
    of deltas, zigzagged), then n decimal steps (zigzagged), float xors or raw float64s."""
    out = 0
    for k in range(bounds.size - 1):
        at = bounds[k]
        end = bounds[k + 1]
        n = counts[k]
        mode = modes[k]
        t = np.int64(0)
        delta = np.int64(0)
        acc = np.int64(0)
        xor = np.uint64(0)
        for stream in range(1 if mode == _RAW else 2):
            for i in range(n):
                u = np.uint64(0)
                shift = np.uint64(0)
                while True:
                    if at >= end or shift > 63:
                        return k
                    byte = data[at]
                    at += 1
                    u |= np.uint64(byte & 0x7F) << shift
                    if byte < 0x80:
                        break
                    shift += np.uint64(7)
                if stream == 1 and mode == _XOR:
                    xor ^= u
                    bits[out + i] = xor
                    continue
                z = np.int64(u >> np.uint64(1))
                if u & np.uint64(1):
                    z = ~z
                if stream == 1:
                    acc += z
                    values[out + i] = np.float64(acc) / divisors[k]
                elif i == 0:
                    t = z
                    ts[out] = t
                else:
                    delta = z if i == 1 else delta + z
                    t += delta
                    ts[out + i] = t
        if mode == _RAW:
            if end - at != 8 * n:
                return k
            for i in range(n):
                u = np.uint64(0)
                for j in range(8):
                    u |= np.uint64(data[at + 8 * i + j]) << np.uint64(8 * j)
                bits[out + i] = u
            at = end
        if at != end:
            return k
        out += n
    return -1


read_headers = Kernel(_read_headers)
decode_payloads = Kernel(_decode_payloads)


def compile_kernels() -> None:
    """Compile both kernels now (a call on tiny inputs)."""
    one = np.array([0, 4], dtype=np.int64)
    slot = np.zeros(1, dtype=np.int64)
    read_headers(np.array([1, 0, 0, 0], dtype=np.uint8), one, slot, slot.copy(), slot.copy(), slot)
    values = np.zeros(1, dtype=np.float64)
    payload = np.zeros(2, dtype=np.uint8)
    decode_payloads(
        payload, np.array([0, 2]), np.ones(1, dtype=np.int64), np.zeros(1, dtype=np.int64),
        np.ones(1), np.zeros(1, dtype=np.int64), values, values.view(np.uint64),
    )  # fmt: skip
