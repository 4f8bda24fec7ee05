"""Lossless compressed storage of one series segment: one signal's points in one time chunk.

Blobs live in the database for years, so the layout below is frozen per `FORMAT_VERSION`; a new
layout gets a new version byte and `decode` keeps reading the old ones.

Layout, version 1::

    byte 0    FORMAT_VERSION (1)
    byte 1    value mode: 0 decimal, 1 xor, 2 raw (`ValueMode`); high bit: -0.0 list follows
    byte 2    decimal scale k (0 unless the mode is decimal)
    varint    point count n
    [varints  decimal mode with the high bit: m, then the m positions of -0.0 values, each as
              the gap from the previous one (the first from 0)]
    rest      zlib stream of the payload: the n timestamp varints, then the value stream

varint: unsigned LEB128, 7 bits per byte, low group first, high bit set on all but the last byte.
zz(x): zigzag of an int64, (x << 1) ^ (x >> 63) as uint64, so small magnitudes get short varints.

Timestamps (int64 µs, strictly increasing): zz(t0), zz(t1 - t0), then zz(dd_i) for i >= 2 with
dd_i = (t_i - t_(i-1)) - (t_(i-1) - t_(i-2)); n varints in all. Arithmetic wraps mod 2**64 both
ways, so every int64 survives. Regular spacing gives runs of zero bytes, which zlib removes.

Values, the mode giving the smallest blob among those that are lossless:

- decimal: k is the smallest in 0..15 with ints = rint(v * 10**k) within ±2**53 and
  ints.astype(float64) / float64(10**k) (k = 0: ints.astype(float64)) equal to v bit for bit;
  n varints zz(ints[0]), zz(ints[i] - ints[i-1]).
- xor: u = the float64 bit patterns; n varints u[i] ^ u[i-1] with u[-1] = 0 (close values share
  sign, exponent and high mantissa bits, so the xor is small).
- raw: n little-endian float64.
"""

import zlib
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from assetwatch.encoding.scaled import MAX_DECIMAL_SCALE, from_scaled_ints, to_scaled_ints
from assetwatch.encoding.varint import (
    decode_varints,
    encode_varints,
    read_varint,
    unzigzag,
    zigzag,
)

FORMAT_VERSION = 1
NEGATIVE_ZEROS = 0x80  # flag on the mode byte: a list of -0.0 positions follows the count


class ValueMode(IntEnum):
    DECIMAL = 0
    XOR = 1
    RAW = 2


# How the encoder drives zlib: not part of the format, any setting decodes the same. Level 9
# gains little over 6 and deflates float bit patterns far slower; Z_FILTERED shrinks long decimal
# streams, while the default strategy wins on short ones and on float bit patterns.
ZLIB_LEVEL = 6
_STRATEGIES = {
    ValueMode.DECIMAL: (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED),
    ValueMode.XOR: (zlib.Z_DEFAULT_STRATEGY,),
    ValueMode.RAW: (zlib.Z_DEFAULT_STRATEGY,),
}


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    version: int
    mode: ValueMode
    scale: int
    count: int
    negative_zeros: tuple[int, ...] = ()  # decimal mode: where the values are -0.0


def encode(ts: NDArray[np.int64], values: NDArray[np.float64]) -> bytes:
    """One blob of both streams; ValueError unless ts strictly increase and values are finite."""
    ts, values = _checked(ts, values)
    n = ts.size
    header_count = encode_varints(np.array([n], dtype=np.uint64))
    ts_bytes = encode_varints(zigzag(_ts_stream(ts)))
    best: bytes | None = None
    for mode, scale, value_bytes, negative_zeros in _value_candidates(values):
        flags, header = 0, header_count
        if negative_zeros.size:
            flags = NEGATIVE_ZEROS
            gaps = np.diff(negative_zeros, prepend=0)
            header += encode_varints(
                np.concatenate(([negative_zeros.size], gaps)).astype(np.uint64)
            )
        for strategy in _STRATEGIES[mode]:
            compressor = zlib.compressobj(ZLIB_LEVEL, zlib.DEFLATED, 15, 8, strategy)
            body = compressor.compress(ts_bytes + value_bytes) + compressor.flush()
            blob = bytes((FORMAT_VERSION, mode | flags, scale)) + header + body
            if best is None or len(blob) < len(best):
                best = blob
    assert best is not None
    return best


def decode(blob: bytes) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The timestamps and values `encode` was given, bit for bit."""
    info, offset = read_header(blob)
    n = info.count
    payload = inflate(blob, offset)
    raw = info.mode is ValueMode.RAW
    split = len(payload) - 8 * n if raw else len(payload)
    if split < 0:
        raise ValueError("segment payload too short for its raw values")
    ints = decode_varints(payload[:split])
    if ints.size != (n if raw else 2 * n):
        raise ValueError(f"segment payload holds {ints.size} varints for {n} points")
    ts = _ts_unstream(unzigzag(ints[:n]))
    if raw:
        values = np.frombuffer(payload[split:], dtype="<f8").astype(np.float64)
    elif info.mode is ValueMode.DECIMAL:
        values = from_scaled_ints(np.cumsum(unzigzag(ints[n:])), info.scale)
    else:
        values = np.bitwise_xor.accumulate(ints[n:]).view(np.float64)
    if info.negative_zeros:
        values[list(info.negative_zeros)] = -0.0
    return ts, values


def inflate(blob: bytes, offset: int) -> bytes:
    """The payload after the header (at `offset`): exactly one whole zlib stream."""
    inflate = zlib.decompressobj()
    try:
        payload = inflate.decompress(blob[offset:])
    except zlib.error as error:
        raise ValueError(f"segment payload is not a zlib stream: {error}") from None
    if not inflate.eof or inflate.unused_data:
        raise ValueError("segment payload is truncated or followed by junk")
    return payload


def describe(blob: bytes) -> SegmentInfo:
    """The header: format version, value mode, decimal scale and point count."""
    return read_header(blob)[0]


def merge(
    base_ts: NDArray[np.int64],
    base_values: NDArray[np.float64],
    newer_ts: NDArray[np.int64],
    newer_values: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The union sorted by ts; where both hold a timestamp, the newer value wins."""
    base_ts, base_values = _checked(base_ts, base_values, finite=False)
    newer_ts, newer_values = _checked(newer_ts, newer_values, finite=False)
    ts = np.concatenate((base_ts, newer_ts))
    values = np.concatenate((base_values, newer_values))
    order = np.argsort(ts, kind="stable")  # base before newer within a run of equal ts
    ts, values = ts[order], values[order]
    last_of_run = np.ones(ts.size, dtype=bool)
    last_of_run[:-1] = ts[1:] != ts[:-1]
    return ts[last_of_run], values[last_of_run]


def _checked(
    ts: NDArray[np.int64], values: NDArray[np.float64], *, finite: bool = True
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    ts_in, values_in = np.asarray(ts), np.asarray(values)
    if ts_in.ndim != 1 or values_in.ndim != 1 or ts_in.size != values_in.size:
        raise ValueError("ts and values must be 1-D arrays of the same length")
    if ts_in.size and not np.can_cast(ts_in.dtype, np.int64):
        raise TypeError(f"timestamps must be int64, not {ts_in.dtype}")
    if values_in.size and (
        values_in.dtype.kind != "f" or not np.can_cast(values_in.dtype, np.float64)
    ):
        raise TypeError(f"values must be float64, not {values_in.dtype}")
    ts_out = np.ascontiguousarray(ts_in, dtype=np.int64)
    values_out = np.ascontiguousarray(values_in, dtype=np.float64)
    if not bool(np.all(ts_out[1:] > ts_out[:-1])):
        raise ValueError("timestamps must be strictly increasing")
    if finite and not bool(np.all(np.isfinite(values_out))):
        raise ValueError("values must be finite (no NaN or infinity)")
    return ts_out, values_out


def read_header(blob: bytes) -> tuple[SegmentInfo, int]:
    """The header, and where the zlib payload starts; ValueError if it is not a valid one."""
    if len(blob) < 4:
        raise ValueError("segment blob too short")
    if blob[0] != FORMAT_VERSION:
        raise ValueError(f"unknown segment format version {blob[0]}")
    try:
        mode = ValueMode(blob[1] & ~NEGATIVE_ZEROS)
    except ValueError:
        raise ValueError(f"unknown value mode {blob[1]}") from None
    scale = blob[2]
    if scale > MAX_DECIMAL_SCALE or (scale and mode is not ValueMode.DECIMAL):
        raise ValueError(f"bad decimal scale {scale}")
    count, at = read_varint(blob, 3)
    negative_zeros: tuple[int, ...] = ()
    if blob[1] & NEGATIVE_ZEROS:
        if mode is not ValueMode.DECIMAL:
            raise ValueError("negative zeros are listed in decimal mode only")
        how_many, at = read_varint(blob, at)
        positions, position = [], 0
        for _ in range(min(how_many, count)):
            gap, at = read_varint(blob, at)
            position += gap
            positions.append(position)
        if len(positions) != how_many or (positions and positions[-1] >= count):
            raise ValueError("bad list of negative zeros")
        negative_zeros = tuple(positions)
    return SegmentInfo(FORMAT_VERSION, mode, scale, count, negative_zeros), at


def _value_candidates(
    values: NDArray[np.float64],
) -> list[tuple[ValueMode, int, bytes, NDArray[np.int64]]]:
    candidates = []
    none = np.zeros(0, dtype=np.int64)
    # Rounded readings that cross zero give -0.0, which no integer scales back to: decimal
    # mode lists where they are and stores 0.
    negative_zeros = np.flatnonzero((values == 0) & np.signbit(values))
    decimal = to_scaled_ints(np.where(values == 0, 0.0, values) if negative_zeros.size else values)
    if decimal is not None:
        scale, ints = decimal
        diffs = np.diff(ints, prepend=np.int64(0))
        # Decimal data (what sensors report) takes decimal mode without trying the others:
        # they are rarely smaller and cost three quarters of the encoding time.
        return [(ValueMode.DECIMAL, scale, encode_varints(zigzag(diffs)), negative_zeros)]
    bits = values.view(np.uint64)
    xors = bits ^ np.concatenate((np.zeros(1, dtype=np.uint64), bits[:-1]))
    candidates.append((ValueMode.XOR, 0, encode_varints(xors), none))
    candidates.append((ValueMode.RAW, 0, values.astype("<f8").tobytes(), none))
    return candidates


def _ts_stream(ts: NDArray[np.int64]) -> NDArray[np.int64]:
    deltas = np.diff(ts)  # wraps mod 2**64 like everything here, undone by the cumsums
    return np.concatenate((ts[:1], deltas[:1], np.diff(deltas)))


def _ts_unstream(stream: NDArray[np.int64]) -> NDArray[np.int64]:
    deltas = np.cumsum(stream[1:])
    return np.cumsum(np.concatenate((stream[:1], deltas)))
