"""The compiled kernels: the segment decoder that rollups and raw pages use, and the per-bucket
sums. Each compiled kernel gives what its own Python source gives (`py_func`, which also counts
its lines for coverage), the batch decoder what the numpy reference decoder gives blob by blob,
and damaged blobs are refused, never decoded into garbage.
"""

import subprocess
import sys
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from assetwatch.encoding import segment
from assetwatch.encoding.scaled import POWERS_OF_TEN
from assetwatch.encoding.segment_batch import decode_counted, decode_many
from assetwatch.kernels import KERNELS, buckets, compile_all, json_rows, zlib_c
from assetwatch.kernels import segments as kernels
from tests.unit.test_segment_codec import (
    GOLDEN,
    NOW,
    SETTINGS,
    f64,
    i64,
    ref_varint,
    regular,
    segments,
)

Segment = tuple[NDArray[np.int64], NDArray[np.float64]]
LATER = NOW + 3_600_000_000


@pytest.fixture
def compiled_all() -> Iterator[None]:
    """`compile_all` as serving runs it; the kernels may compile again after the test."""
    compile_all()
    yield
    for kernel in KERNELS:
        kernel.freeze(False)


@pytest.mark.usefixtures("compiled_all")
def test_compile_all_compiles_every_kernel() -> None:
    kernels_ = (kernels.read_headers, kernels.decode_blobs, kernels.decode_blobs_in_parallel)
    assert {*kernels_, buckets.kernel, json_rows.kernel} == set(KERNELS)
    for kernel in KERNELS:
        assert kernel.dispatcher.signatures


@pytest.mark.usefixtures("compiled_all")
def test_after_compile_all_no_kernel_compiles_again() -> None:
    """Leans on numba's `disable_compile`: an upgrade that drops or changes it fails here."""
    one = np.zeros(4, dtype=np.int32)  # int32: no compiled version takes it
    with pytest.raises(TypeError, match="No matching definition"):
        kernels.read_headers(one.view(np.uint8), one, one, one, one, one)


@pytest.mark.usefixtures("compiled_all")
def test_what_a_read_passes_the_kernels_was_compiled_at_start_up() -> None:
    """Blobs arrive as bytes from PostgreSQL, so their array is read-only: a kernel compiled
    only for writable arrays compiled again on the first request after each start."""
    ts = regular(360)
    blob = segment.encode(ts, np.round(np.sin(np.arange(360.0)) * 50, 1))
    before = {kernel: len(kernel.dispatcher.signatures) for kernel in KERNELS}
    for count in (1, kernels.PARALLEL_BLOBS):
        ts, values, counts = decode_counted([blob] * count)
        assert counts.tolist() == [360] * count
        signal = np.zeros(ts.size, dtype=np.int64)
        assert buckets.bucket_partials(signal, ts, values, (NOW, LATER, 60_000_000, 0))[0].size
    assert json_rows.zip_columns(["a", "b"], [b"[1]", b"[2]"], [1]) == [b'[{"a":1,"b":2}]']
    assert {kernel: len(kernel.dispatcher.signatures) for kernel in KERNELS} == before


def test_compile_all_refuses_more_threads_than_numba_runs() -> None:
    import numba

    too_many = int(numba.config.NUMBA_NUM_THREADS) + 1
    with pytest.raises(RuntimeError, match=f"DECODE_THREADS={too_many} is more than"):
        compile_all(too_many)


def test_the_decoder_refuses_to_start_without_zlibs_uncompress2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(zlib_c, "uncompress2", None)
    monkeypatch.setattr(zlib_c, "MISSING", "libz.so.1 has no uncompress2")
    with pytest.raises(RuntimeError, match="no uncompress2"):
        compile_all()


def test_the_cli_and_the_worker_run_without_importing_numba() -> None:
    """numba costs a process about 1.4 s and 100 MB as it loads: only serving processes,
    which decode segments, should pay it."""
    code = "import sys, assetwatch.cli, assetwatch.bootstrap; print('numba' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"


def _kernel_inputs(blobs: list[bytes]) -> tuple[list[Any], list[Any]]:
    """The arguments of both kernels for `blobs` (none with a list of -0.0 positions)."""
    n = len(blobs)
    data = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    bounds = np.array([0, *np.cumsum([len(b) for b in blobs])], dtype=np.int64)
    out = [np.zeros(n, dtype=np.int64) for _ in range(4)]
    assert kernels.read_headers(data, bounds, *out) == -1
    payload_at, counts, modes, scales = out
    values = np.zeros(int(counts.sum()), dtype=np.float64)
    return [data, bounds, *[np.zeros(n, dtype=np.int64) for _ in range(4)]], [
        data,
        bounds[:-1] + payload_at,
        bounds[1:],
        counts,
        modes,
        POWERS_OF_TEN[scales],
        np.zeros(int(counts.sum()) * 20 + 16 * n, dtype=np.uint8),
        np.array([0, *np.cumsum(counts * 20 + 16)], dtype=np.int64),
        np.zeros(2 * n, dtype=np.uint64),
        np.array([0, *np.cumsum(counts)[:-1]], dtype=np.int64),
        np.zeros(values.size, dtype=np.int64),
        values,
        values.view(np.uint64),
        np.zeros(n, dtype=np.uint8),
    ]


def _decoded_by(kernel: Any, args: list[Any]) -> tuple[list[int], list[int], list[int]]:
    """Timestamps, value bits and damage flags from a run of `kernel` on a copy of `args`."""
    args = [a.copy() for a in args]
    args[12] = args[11].view(np.uint64)
    assert kernel(*args) == 0
    return args[10].tolist(), args[12].tolist(), args[13].tolist()


@SETTINGS
@given(st.lists(segments(), min_size=1, max_size=4))
def test_the_compiled_decoder_gives_what_its_python_source_gives(parts: list[Segment]) -> None:
    blobs = [segment.encode(ts, values) for ts, values in parts]
    blobs = [b for b in blobs if not b[1] & segment.NEGATIVE_ZEROS]
    header_args, payload_args = _kernel_inputs(blobs)
    python_header_args = [a.copy() for a in header_args]
    assert kernels.read_headers(*header_args) == -1
    assert kernels.read_headers.py_func(*python_header_args) == -1
    for compiled, python in zip(header_args, python_header_args, strict=True):
        np.testing.assert_array_equal(compiled, python)
    want = _decoded_by(kernels.decode_blobs.py_func, payload_args)
    assert _decoded_by(kernels.decode_blobs, payload_args) == want
    assert _decoded_by(kernels.decode_blobs_in_parallel, payload_args) == want
    ts, values = _reference(blobs)
    assert (want[0], want[1], want[2]) == (ts, values.view(np.uint64).tolist(), [0] * len(blobs))


def _reference(blobs: list[bytes]) -> tuple[list[int], NDArray[np.float64]]:
    """The blobs' points by the reference decoder, concatenated."""
    decoded = [segment.decode(b) for b in blobs]
    values = np.concatenate([np.zeros(0), *(v for _, v in decoded)])
    return [t for ts, _ in decoded for t in ts.tolist()], values


def test_many_blobs_decode_alike_on_one_thread_and_on_several() -> None:
    blobs = [
        segment.encode(regular(50, NOW + k * 3_600_000_000), f64([k + i / 10 for i in range(50)]))
        for k in range(3 * kernels.PARALLEL_BLOBS)
    ]
    kernels.use_threads(2)
    try:
        assert kernels.decoder_for(len(blobs)) is kernels.decode_blobs_in_parallel
        assert kernels.decoder_for(kernels.PARALLEL_BLOBS - 1) is kernels.decode_blobs
        ts, values = decode_many(blobs)
    finally:
        kernels.use_threads(1)
    assert kernels.decoder_for(len(blobs)) is kernels.decode_blobs
    want_ts, want_values = _reference(blobs)
    assert ts.tolist() == want_ts
    assert values.view(np.uint64).tolist() == want_values.view(np.uint64).tolist()


@pytest.mark.parametrize(("ts", "values", "blob_hex"), GOLDEN)
def test_golden_blobs_decode_together(ts: list[int], values: list[float], blob_hex: str) -> None:
    blob = bytes.fromhex(blob_hex)
    got_ts, got_values, counts = decode_counted([blob, blob])
    assert counts.tolist() == [len(ts), len(ts)]
    assert got_ts.tolist() == ts + ts
    assert got_values.view(np.int64).tolist() == f64(values + values).view(np.int64).tolist()


def _damaged() -> list[bytes]:
    blob = segment.encode(regular(3), f64([1.5, 2.5, 3.5]))
    zeros = segment.encode(regular(3), f64([1.0, -0.0, 2.0]))
    info, at = segment.read_header(blob)
    payload = segment.inflate(blob, at)
    one_more = bytes([*blob[:3], info.count + 1]) + zlib.compress(payload)
    raw = segment.encode(regular(2), f64([1.2345678901234567e300, -9.87654321e-300]))
    raw_info, raw_at = segment.read_header(raw)
    assert raw_info.mode is segment.ValueMode.RAW
    short_raw = raw[:raw_at] + zlib.compress(segment.inflate(raw, raw_at)[:-1])
    return [
        bytes([segment.FORMAT_VERSION + 1]) + blob[1:],  # unknown version
        blob[:1] + b"\x07" + blob[2:],  # unknown value mode
        blob[:1] + b"\x01\x02" + blob[3:],  # a scale in xor mode
        blob[:3],  # no count
        blob[:3] + b"\xff" * 11,  # a count longer than 64 bits
        blob[:-3],  # truncated payload
        blob + b"\0",  # junk after the payload
        blob[:4] + b"junk",  # not a zlib stream
        one_more,  # a count the payload does not hold
        bytes(blob[:3]) + ref_varint(10**12) + blob[4:],  # a count no payload this small holds
        blob[:4] + zlib.compress(payload + b"\x80"),  # a varint that never ends
        short_raw,  # raw values one byte short
        zeros[:5] + b"\x09" + zeros[6:],  # a -0.0 position past the end
        b"",
    ]


@pytest.mark.parametrize("damaged", _damaged())
def test_decoding_many_refuses_a_damaged_blob_among_good_ones(damaged: bytes) -> None:
    good = segment.encode(regular(4), f64([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError, never garbage
        decode_many([good, damaged, good])


def test_the_negative_zeros_of_each_blob_land_on_its_own_points() -> None:
    first = segment.encode(regular(3), f64([-0.0, 1.0, 2.0]))
    second = segment.encode(regular(3, LATER), f64([3.0, -0.0, -0.0]))
    _, values = decode_many([first, second])
    assert np.signbit(values).tolist() == [True, False, False, False, True, True]


_points = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(-(10**10), 10**10),
        st.integers(-(10**6), 10**6).map(lambda i: i / 8),
    ),
    max_size=60,
    unique_by=lambda p: (p[0], p[1]),
).map(sorted)


@SETTINGS
@given(
    _points,
    st.integers(-(10**10), 10**10),
    st.integers(0, 10**10),
    st.integers(1, 10**9),
    st.integers(-(10**9), 10**9),
)
def test_bucket_partials_sum_up_each_signals_buckets_in_order(
    points: list[tuple[int, int, float]], low: int, span: int, width: int, origin: int
) -> None:
    model: dict[tuple[int, int], list[float]] = {}
    for signal, t, value in points:
        if low <= t < low + span:
            model.setdefault((signal, (t - origin) // width * width + origin), []).append(value)
    want = [(s, b, len(v), min(v), max(v), _in_order_sum(v)) for (s, b), v in model.items()]
    signal = i64([p[0] for p in points])
    ts = i64([p[1] for p in points])
    values = f64([p[2] for p in points])
    window = (low, low + span, width, origin)
    got = list(
        zip(*(a.tolist() for a in buckets.bucket_partials(signal, ts, values, window)), strict=True)
    )
    assert got == want
    out = [np.zeros(ts.size, dtype=np.int64) for _ in range(3)]
    out += [np.zeros(ts.size, dtype=np.float64) for _ in range(3)]
    m = buckets.kernel.py_func(signal, ts, values, i64(list(window)), *out)
    assert list(zip(*(a[:m].tolist() for a in out), strict=True)) == want


def _in_order_sum(values: list[float]) -> float:
    total = 0.0
    for value in values:
        total += value
    return total
