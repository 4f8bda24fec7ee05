"""The loops that decode many segment blobs (`encoding.segment`'s format, version 1).

A blob's varints are a byte-at-a-time stream: numpy decodes them only in a dozen whole-array
passes, while one compiled pass reads each byte once. Blobs are inflated by zlib's C library
in the same pass (`zlib_c`), so nothing per blob runs in Python, and they are independent: the
parallel kernel decodes them on several threads. A damaged blob is reported, and the caller
names the damage with `segment`'s own checks.
"""

import zlib

import numpy as np
from numpy.typing import NDArray

from assetwatch.encoding.scaled import MAX_DECIMAL_SCALE
from assetwatch.encoding.segment import FORMAT_VERSION, NEGATIVE_ZEROS, ValueMode
from assetwatch.kernels import zlib_c
from assetwatch.kernels.compiled import Kernel

# The format's constants as plain ints, which numba freezes into the compiled code.
_VERSION, _FLAG = int(FORMAT_VERSION), int(NEGATIVE_ZEROS)
_DECIMAL, _XOR, _RAW = int(ValueMode.DECIMAL), int(ValueMode.XOR), int(ValueMode.RAW)
_UNCOMPRESS2 = zlib_c.uncompress2
prange = range  # numba.prange once compiled (`Kernel`)


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


def _decode_blobs(
    data: NDArray[np.uint8],
    starts: NDArray[np.int64],
    ends: NDArray[np.int64],
    counts: NDArray[np.int64],
    modes: NDArray[np.int64],
    divisors: NDArray[np.float64],
    scratch: NDArray[np.uint8],
    scratch_at: NDArray[np.int64],
    lengths: NDArray[np.uint64],
    out_at: NDArray[np.int64],
    ts: NDArray[np.int64],
    values: NDArray[np.float64],
    bits: NDArray[np.uint64],
    bad: NDArray[np.uint8],
) -> int:
    """Blob k's zlib stream (data[starts[k]:ends[k]]) inflated into scratch[scratch_at[k]:
    scratch_at[k + 1]], then its points into ts and values from out_at[k] (`bits` is `values`
    seen as uint64): n timestamp varints (t0, the first delta, then deltas of deltas,
    zigzagged), then n decimal steps (zigzagged), float xors or raw float64s. Blobs are
    independent (a `prange`); a damaged one gets bad[k] = 1. `lengths` holds two words a
    blob for zlib's in and out sizes. Returns 0."""
    for k in prange(starts.size):
        given = ends[k] - starts[k]
        lengths[2 * k] = scratch_at[k + 1] - scratch_at[k]
        lengths[2 * k + 1] = given
        status = _UNCOMPRESS2(
            scratch[scratch_at[k] :].ctypes.data,
            lengths[2 * k :].ctypes.data,
            data[starts[k] :].ctypes.data,
            lengths[2 * k + 1 :].ctypes.data,
        )
        if status != 0 or lengths[2 * k + 1] != given:  # damaged, truncated, or junk after
            bad[k] = 1
            continue
        at = scratch_at[k]
        end = at + np.int64(lengths[2 * k])
        n = counts[k]
        mode = modes[k]
        o = out_at[k]
        t = np.int64(0)
        delta = np.int64(0)
        acc = np.int64(0)
        xor = np.uint64(0)
        ok = True
        varints = n if mode == _RAW else 2 * n
        j = 0
        while j < varints:
            u = np.uint64(0)
            shift = np.uint64(0)
            while True:
                if at >= end or shift > 63:
                    ok = False
                    break
                byte = scratch[at]
                at += 1
                u |= np.uint64(byte & 0x7F) << shift
                if byte < 0x80:
                    break
                shift += np.uint64(7)
            if not ok:
                break
            i = j if j < n else j - n
            j += 1
            if j > n and mode == _XOR:
                xor ^= u
                bits[o + i] = xor
                continue
            z = np.int64(u >> np.uint64(1))
            if u & np.uint64(1):
                z = ~z
            if j > n:
                acc += z
                values[o + i] = np.float64(acc) / divisors[k]
            elif i == 0:
                t = z
                ts[o] = t
            else:
                delta = z if i == 1 else delta + z
                t += delta
                ts[o + i] = t
        if ok and mode == _RAW:
            if end - at != 8 * n:
                ok = False
            else:
                for i in range(n):
                    u = np.uint64(0)
                    for b in range(8):
                        u |= np.uint64(scratch[at + 8 * i + b]) << np.uint64(8 * b)
                    bits[o + i] = u
                at = end
        if not ok or at != end:
            bad[k] = 1
    return 0


read_headers = Kernel(_read_headers)
# Both compiled from one source: a page's one or two blobs are not worth waking threads for.
decode_blobs = Kernel(_decode_blobs)
decode_blobs_in_parallel = Kernel(_decode_blobs, parallel=True)
# From this many blobs, they decode on several threads (when `compile_all` was given several):
# waking the threads costs about as much as they save on 25 blobs (NARRATIVE.md).
PARALLEL_BLOBS = 32
_threads = 1


def use_threads(threads: int) -> None:
    """How many threads numba was told to run parallel kernels on (`compile_all`)."""
    global _threads  # one setting of the process, made as it starts
    _threads = threads


def decoder_for(blobs: int) -> Kernel:
    """The kernel that decodes this many blobs fastest: in parallel only when there are many
    and threads to share them."""
    return decode_blobs_in_parallel if _threads > 1 and blobs >= PARALLEL_BLOBS else decode_blobs


def compile_kernels() -> None:
    """Compile the kernels now (a call on tiny inputs); raises when they cannot run here."""
    zlib_c.require()
    one = np.array([0, 4], dtype=np.int64)
    slot = np.zeros(1, dtype=np.int64)
    # The blobs arrive read-only (`np.frombuffer` of the bytes PostgreSQL sent), as here.
    header = np.frombuffer(bytes([1, 0, 0, 0]), dtype=np.uint8)
    read_headers(header, one, slot, slot.copy(), slot.copy(), slot)
    stream = np.frombuffer(zlib.compress(b"\0\0"), dtype=np.uint8)
    for kernel in (decode_blobs, decode_blobs_in_parallel):
        values = np.zeros(1, dtype=np.float64)
        bad = np.zeros(1, dtype=np.uint8)
        kernel(
            stream, np.zeros(1, dtype=np.int64), np.array([stream.size]),
            np.ones(1, dtype=np.int64), np.zeros(1, dtype=np.int64), np.ones(1),
            np.zeros(40, dtype=np.uint8), np.array([0, 40]), np.zeros(2, dtype=np.uint64),
            np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64), values,
            values.view(np.uint64), bad,
        )  # fmt: skip
        if bad[0]:
            raise RuntimeError("the compiled segment decoder failed on a valid payload")
