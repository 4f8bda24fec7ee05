"""The segment codec gives back every timestamp and value bit for bit, and its format stays put.

Round trips compare values as int64 bit patterns, so -0.0, subnormals and the extremes count.
The golden blobs pin the format: segments stay in the database for years, so a change to the
layout must fail here loudly (and come with a new `FORMAT_VERSION`).
"""

import itertools
import math
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from assetwatch.encoding.segment import (
    FORMAT_VERSION,
    NEGATIVE_ZEROS,
    ValueMode,
    decode,
    describe,
    encode,
    merge,
)
from assetwatch.encoding.segment_batch import decode_many
from assetwatch.encoding.varint import decode_varints, encode_varints

TS_MIN = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z in µs since the epoch
TS_MAX = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z
NOW = 1_700_000_000_000_000
TEN_S = 10_000_000
EXTREMES = [-0.0, 0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]
EXTREMES += [-1.7976931348623157e308, 1e-300, -1e300]

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def i64(xs: list[int]) -> NDArray[np.int64]:
    return np.array(xs, dtype=np.int64)


def f64(xs: list[float]) -> NDArray[np.float64]:
    return np.array(xs, dtype=np.float64)


def assert_round_trip(ts: NDArray[np.int64], values: NDArray[np.float64]) -> bytes:
    blob = encode(ts, values)
    got_ts, got_values = decode(blob)
    assert got_ts.dtype == np.int64
    assert got_values.dtype == np.float64
    np.testing.assert_array_equal(got_ts, ts)
    np.testing.assert_array_equal(got_values.view(np.int64), values.view(np.int64))
    assert describe(blob).count == ts.size
    return blob


def regular(n: int, start: int = NOW, step: int = TEN_S) -> NDArray[np.int64]:
    return start + step * np.arange(n, dtype=np.int64)


# Timestamps: anywhere in the range, or a start plus gaps from 1 µs to big jumps.
_spread = st.lists(st.integers(TS_MIN, TS_MAX), unique=True, max_size=80).map(sorted)
_gaps = st.one_of(
    st.integers(1, 3), st.just(TEN_S), st.integers(TEN_S - 999, TEN_S + 999), st.integers(1, 10**17)
)
_stepped = st.tuples(st.integers(TS_MIN, NOW), st.lists(_gaps, max_size=80)).map(
    lambda sg: [t for t in itertools.accumulate([sg[0], *sg[1]]) if t <= TS_MAX]
)
_timestamps = st.one_of(_spread, _stepped)
_floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(EXTREMES),
    st.integers(-(10**6), 10**6).map(lambda i: i / 10),
)


@st.composite
def segments(draw: st.DrawFn) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    ts = draw(_timestamps)
    values = draw(st.lists(_floats, min_size=len(ts), max_size=len(ts)))
    return i64(ts), f64(values)


@SETTINGS
@given(segments())
def test_any_finite_segment_round_trips_bit_for_bit(
    segment: tuple[NDArray[np.int64], NDArray[np.float64]],
) -> None:
    assert_round_trip(*segment)


# A scalar reference of the documented layout, to hold the vectorised code to the docstring.


def ref_varint(u: int) -> bytes:
    out = bytearray()
    while u >= 0x80:
        out.append(u & 0x7F | 0x80)
        u >>= 7
    return bytes([*out, u])


def ref_zigzag(x: int) -> int:
    x = (x + 2**63) % 2**64 - 2**63  # int64 arithmetic wraps
    return ((x << 1) ^ (x >> 63)) % 2**64


def ref_payload(ts: list[int], values: list[float], mode: ValueMode, scale: int) -> bytes:
    deltas = [b - a for a, b in itertools.pairwise(ts)]
    stream = ts[:1] + deltas[:1] + [b - a for a, b in itertools.pairwise(deltas)]
    out = b"".join(ref_varint(ref_zigzag(x)) for x in stream)
    if mode is ValueMode.DECIMAL:
        ints = [round(v * 10**scale) for v in values]
        diffs = [b - a for a, b in zip([0, *ints], ints, strict=False)]
        return out + b"".join(ref_varint(ref_zigzag(d)) for d in diffs)
    if mode is ValueMode.XOR:
        bits = [struct.unpack("<Q", struct.pack("<d", v))[0] for v in values]
        return out + b"".join(ref_varint(b ^ a) for a, b in zip([0, *bits], bits, strict=False))
    return out + struct.pack(f"<{len(values)}d", *values)


@SETTINGS
@given(segments())
def test_blobs_follow_the_documented_layout(
    segment: tuple[NDArray[np.int64], NDArray[np.float64]],
) -> None:
    ts, values = segment
    blob = encode(ts, values)
    info = describe(blob)
    zeros = info.negative_zeros
    flag = NEGATIVE_ZEROS if zeros else 0
    header = bytes([FORMAT_VERSION, info.mode | flag, info.scale]) + ref_varint(ts.size)
    if zeros:
        gaps = [b - a for a, b in zip([0, *zeros], zeros, strict=False)]
        header += ref_varint(len(zeros)) + b"".join(ref_varint(g) for g in gaps)
    assert (
        zeros
        == tuple(i for i, v in enumerate(values.tolist()) if v == 0 and math.copysign(1, v) < 0)
        or info.mode is not ValueMode.DECIMAL
    )
    assert blob.startswith(header)
    want = ref_payload(ts.tolist(), values.tolist(), info.mode, info.scale)
    assert zlib.decompress(blob[len(header) :]) == want


# Golden blobs, one per value mode: (timestamps, values, blob as written by format version 1).
_GOLDEN_TS = [NOW + TEN_S * i for i in range(5)] + [NOW + TEN_S * 5 + 3_000_001]
GOLDEN = [
    (
        _GOLDEN_TS,
        [20.1, 20.3, 19.9, 20.0, 20.0, 21.7],
        "01000106789c6b68f8d4d8dcd9cad670eb0827030343d3ec774c939859d89918940099f10903",
    ),
    (
        _GOLDEN_TS,
        [-0.0, 5e-324, 1e-323, 1e-323, 5e-324, 0.0],
        "01010006789c6b68f8d4d8dcd9cad670eb0827030343d3ec774c0d30c0d80867313330330200a8fc1149",
    ),
    (
        _GOLDEN_TS,
        [-0.0, 20.3, 20.3, 20.3, 20.3, 20.3],  # decimal, with the position of its -0.0
        "018001060100789c6b68f8d4d8dcd9cad670eb0827030343d3ec774c0cd398812c0600991c08d8",
    ),
    (
        _GOLDEN_TS,
        [1.0000001, 2.7e-7, 1e300, -3.3333333333, 7.25, 1e-300],
        "01020006789c6b68f8d4d8dcd9cad670eb0827030343d3ec774cb33f5d976260f8601ff8ed46df04b94976"
        "734a193a6c9e98d795b7ae5cb56a15d7010630907588fcfce3907cde524600fe641c88",
    ),
    ([], [], "01000000789c030000000001"),
]


def test_the_documented_layout_by_hand() -> None:
    blob = encode(i64(GOLDEN[0][0]), f64(GOLDEN[0][1]))
    assert blob[:4] == bytes([1, ValueMode.DECIMAL, 1, 6])
    assert zlib.decompress(blob[4:]) == bytes.fromhex(
        "8080f281838985 06"  # zz(t0 = 1_700_000_000_000_000)
        "80dac409"  # zz(t1 - t0 = 10 s)
        "000000"  # three regular steps
        "829bee02"  # zz(+3_000_001 µs)
        "9203 04 07 02 00 22"  # zz of 201, +2, -4, +1, 0, +17 (tenths)
    )


# For a handful of points zlib may find the raw doubles a byte shorter: the smallest blob wins,
# so the mode checks start at 8 points.


@SETTINGS
@given(st.integers(8, 9000), st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 3]))
def test_rounded_random_walks_take_the_decimal_mode(n: int, seed: int, digits: int) -> None:
    rng = np.random.default_rng(seed)
    values = np.round(20 + np.cumsum(rng.normal(0, 0.5, n)), digits)  # -0.0 included
    info = describe(assert_round_trip(regular(n), values))
    assert info.mode is ValueMode.DECIMAL
    assert info.scale <= digits


@SETTINGS
@given(st.integers(8, 2000), st.integers(0, 2**32 - 1), st.sampled_from([0.0, 1e12, -1e15]))
def test_integers_and_large_values_take_the_decimal_mode(n: int, seed: int, base: float) -> None:
    rng = np.random.default_rng(seed)
    values = base + np.cumsum(rng.integers(1, 1000, n)).astype(np.float64)
    info = describe(assert_round_trip(regular(n), values))
    assert (info.mode, info.scale) == (ValueMode.DECIMAL, 0)


@pytest.mark.parametrize(
    ("values", "scale"),
    [
        ([float(i * i) for i in range(16)], 0),
        ([i / 10 for i in range(16)], 1),
        ([20.125 - 3.375 * i for i in range(16)], 3),
        ([-1e15 + 12345.0 * i * i for i in range(15)] + [2.0**53], 0),
    ],
)
def test_the_smallest_exact_scale_is_chosen(values: list[float], scale: int) -> None:
    info = describe(assert_round_trip(regular(len(values)), f64(values)))
    assert (info.mode, info.scale) == (ValueMode.DECIMAL, scale)


def test_integers_beyond_2_53_leave_the_decimal_mode() -> None:
    values = f64([2.0**53 + 2 * i for i in range(16)])
    assert describe(assert_round_trip(regular(16), values)).mode is not ValueMode.DECIMAL


def test_negative_zeros_keep_the_decimal_mode_and_their_sign() -> None:
    """Rounded readings that cross zero give -0.0: listed by position, not a float mode."""
    values = f64([20.1, -0.0, 0.0, 20.2, -0.0, -0.1])
    info = describe(assert_round_trip(regular(6), values))
    assert (info.mode, info.negative_zeros) == (ValueMode.DECIMAL, (1, 4))
    many = np.round(np.sin(np.arange(5000) / 50) * 0.3, 1)  # crosses zero often
    info = describe(assert_round_trip(regular(5000), many))
    assert info.mode is ValueMode.DECIMAL
    assert len(info.negative_zeros) == int(np.sum(np.signbit(many) & (many == 0)))


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_tiny_segments_round_trip(n: int) -> None:
    assert_round_trip(regular(n, start=-5), f64([21.5, -0.0, 5e-324][:n] + [1.0] * (n - 3)))


def test_the_whole_int64_range_round_trips() -> None:
    """Deltas wrap mod 2**64 and unwrap the same way, beyond the calendar's range too."""
    assert_round_trip(i64([-(2**63), -1, 0, 2**62, 2**63 - 1]), f64([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert_round_trip(i64([TS_MIN, TS_MIN + 1, TS_MAX - 1, TS_MAX]), f64(EXTREMES[:4]))


def test_regular_decimal_segments_are_small() -> None:
    rng = np.random.default_rng(7)
    values = np.abs(np.round(20 + np.cumsum(rng.normal(0, 0.5, 360)), 1))
    assert len(assert_round_trip(regular(360), values)) < 360


@pytest.mark.parametrize(
    ("ts", "values"),
    [
        ([1, 1], [0.0, 1.0]),
        ([2, 1], [0.0, 1.0]),
        ([1, 2], [0.0, math.nan]),
        ([1, 2], [math.inf, 1.0]),
        ([1, 2], [-math.inf, 1.0]),
        ([1, 2, 3], [0.0, 1.0]),
    ],
)
def test_encode_refuses_bad_input(ts: list[int], values: list[float]) -> None:
    with pytest.raises(ValueError, match=r"increasing|finite|same length"):
        encode(i64(ts), f64(values))


def test_decode_refuses_unknown_versions_and_damage() -> None:
    blob = encode(regular(3), f64([1.5, 2.5, 3.5]))
    with pytest.raises(ValueError, match="version"):
        decode(bytes([FORMAT_VERSION + 1]) + blob[1:])
    with pytest.raises(ValueError, match="value mode"):
        decode(blob[:1] + b"\x07" + blob[2:])
    for damaged in (blob[:-3], blob[:-1], blob + b"\0", blob[:3], b"", blob[:4] + b"junk"):
        with pytest.raises(ValueError):  # noqa: PT011 - any ValueError, never garbage
            decode(damaged)


@pytest.mark.parametrize(("ts", "values", "blob_hex"), GOLDEN)
def test_golden_blobs_decode_forever(ts: list[int], values: list[float], blob_hex: str) -> None:
    got_ts, got_values = decode(bytes.fromhex(blob_hex))
    np.testing.assert_array_equal(got_ts, i64(ts))
    np.testing.assert_array_equal(got_values.view(np.int64), f64(values).view(np.int64))


@pytest.mark.parametrize(("ts", "values", "blob_hex"), GOLDEN)
def test_golden_inputs_encode_to_the_same_format(
    ts: list[int], values: list[float], blob_hex: str
) -> None:
    """Header and payload byte for byte; the deflate bytes may vary with the zlib build."""
    golden, blob = bytes.fromhex(blob_hex), encode(i64(ts), f64(values))
    # version, mode, scale, count (< 128 points: one byte) and any list of -0.0 positions
    header = 4 + (1 + len(describe(golden).negative_zeros) if golden[1] & NEGATIVE_ZEROS else 0)
    assert blob[:header] == golden[:header]
    assert zlib.decompress(blob[header:]) == zlib.decompress(golden[header:])


# merge

_ts_to_value = st.dictionaries(st.integers(NOW - 50, NOW + 50), _floats, max_size=40)


def as_arrays(points: dict[int, float]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    ts = sorted(points)
    return i64(ts), f64([points[t] for t in ts])


@SETTINGS
@given(_ts_to_value, _ts_to_value)
def test_merge_is_the_union_where_newer_wins(
    base: dict[int, float], newer: dict[int, float]
) -> None:
    ts, values = merge(*as_arrays(base), *as_arrays(newer))
    want_ts, want_values = as_arrays(base | newer)
    assert bool(np.all(ts[1:] > ts[:-1]))
    np.testing.assert_array_equal(ts, want_ts)
    np.testing.assert_array_equal(values.view(np.int64), want_values.view(np.int64))


def test_merge_takes_the_newer_value_of_a_shared_timestamp() -> None:
    ts, values = merge(i64([1, 2, 4]), f64([1.0, 2.0, 4.0]), i64([2, 3]), f64([-0.0, 3.0]))
    np.testing.assert_array_equal(ts, i64([1, 2, 3, 4]))
    np.testing.assert_array_equal(values.view(np.int64), f64([1.0, -0.0, 3.0, 4.0]).view(np.int64))


def test_merge_refuses_unsorted_input() -> None:
    with pytest.raises(ValueError, match="increasing"):
        merge(i64([2, 1]), f64([1.0, 2.0]), i64([]), f64([]))
    with pytest.raises(ValueError, match="increasing"):
        merge(i64([]), f64([]), i64([3, 3]), f64([1.0, 2.0]))


@SETTINGS
@given(st.lists(segments(), min_size=0, max_size=6))
def test_decoding_many_blobs_at_once_equals_decoding_each(
    parts: list[tuple[NDArray[np.int64], NDArray[np.float64]]],
) -> None:
    blobs = [encode(ts, values) for ts, values in parts]
    ts, values = decode_many(blobs)
    want_ts = [t for blob in blobs for t in decode(blob)[0].tolist()]
    want_values = [v for blob in blobs for v in decode(blob)[1].view(np.int64).tolist()]
    assert ts.tolist() == want_ts
    assert values.view(np.int64).tolist() == want_values


# Mostly short values, some of every length up to 64 bits: the decoder takes one byte place at
# a time over only the values that long.
varint_values = st.lists(
    st.one_of(st.integers(0, 127), st.integers(128, 2**14), st.integers(0, 2**64 - 1)),
    max_size=200,
)


@given(varint_values)
def test_varints_decode_to_the_values_the_reference_encodes(values: list[int]) -> None:
    data = b"".join(ref_varint(u) for u in values)
    assert decode_varints(data).tolist() == values
    assert encode_varints(np.array(values, dtype=np.uint64)) == data


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"\x80", "truncated"), (b"\x05\xff", "truncated"), (b"\x80" * 10 + b"\x01", "64 bits")],
)
def test_varint_decoding_refuses_damage(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_varints(data)
