"""Slot summaries (assetwatch.encoding.slots): each five minutes' count, min, max and sum read
back as the points give them, for one segment or many decoded together; min and max bit for bit."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetwatch.encoding import slots

HOUR_US = 3_600_000_000
CHUNK_US = 1_795_000_000 * 1_000_000 // HOUR_US * HOUR_US  # an hour in 2026


def bits(x: float) -> int:
    return int(np.float64(x).view(np.int64))


@st.composite
def hours(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray]:
    """One hour's points: sorted distinct stamps inside it, decimal values at one scale."""
    offsets = draw(st.lists(st.integers(0, HOUR_US - 1), min_size=1, max_size=80, unique=True))
    scale = draw(st.integers(0, 4))
    ints = draw(
        st.lists(st.integers(-(10**9), 10**9), min_size=len(offsets), max_size=len(offsets))
    )
    values = np.array(ints, dtype=np.float64) / float(10**scale)
    values[values == 0] = 0.0  # no -0.0: those segments carry no slots
    return CHUNK_US, CHUNK_US + np.sort(np.array(offsets, dtype=np.int64)), values


def naive(chunk_us: int, ts: np.ndarray, values: np.ndarray) -> list[tuple[int, int, float, float]]:
    out = []
    for slot in range(slots.SLOTS):
        low = chunk_us + slot * slots.SLOT_US
        held = values[(ts >= low) & (ts < low + slots.SLOT_US)]
        if held.size:
            out.append((low, held.size, float(held.min()), float(held.max())))
    return out


def sums(chunk_us: int, ts: np.ndarray, values: np.ndarray) -> list[float]:
    return [
        float(values[(ts >= low) & (ts < low + slots.SLOT_US)].sum())
        for low in (chunk_us + s * slots.SLOT_US for s in range(slots.SLOTS))
        if bool(np.any((ts >= low) & (ts < low + slots.SLOT_US)))
    ]


@given(hours())
def test_each_slot_reads_back_its_count_min_max_and_sum(hour: tuple) -> None:
    chunk_us, ts, values = hour
    blob = slots.encode(chunk_us, ts, values)
    assert blob != slots.NONE
    found = slots.Slots([blob], np.array([chunk_us]))
    expected = naive(chunk_us, ts, values)
    assert found.start_us.tolist() == [e[0] for e in expected]
    assert found.count.tolist() == [e[1] for e in expected]
    assert [bits(v) for v in found.low] == [bits(e[2]) for e in expected]
    assert [bits(v) for v in found.high] == [bits(e[3]) for e in expected]
    assert found.total.tolist() == pytest.approx(sums(chunk_us, ts, values), rel=1e-12, abs=1e-9)


@given(st.lists(hours(), min_size=1, max_size=6))
def test_many_segments_decode_together_as_each_alone(hours_: list[tuple]) -> None:
    chunks = np.array([CHUNK_US + i * HOUR_US for i in range(len(hours_))], dtype=np.int64)
    blobs = [
        slots.encode(int(chunk), ts - CHUNK_US + chunk, values)
        for chunk, (_, ts, values) in zip(chunks, hours_, strict=True)
    ]
    together = slots.Slots(blobs, chunks)
    for i, blob in enumerate(blobs):
        alone = slots.Slots([blob], chunks[i : i + 1])
        mine = together.owner == i
        assert together.start_us[mine].tolist() == alone.start_us.tolist()
        assert together.count[mine].tolist() == alone.count.tolist()
        assert together.total[mine].tolist() == alone.total.tolist()


def test_values_that_are_not_decimals_or_hold_a_negative_zero_get_no_slots() -> None:
    ts = np.array([CHUNK_US, CHUNK_US + 1], dtype=np.int64)
    assert slots.encode(CHUNK_US, ts, np.array([1 / 3, 1.0])) == slots.NONE
    assert slots.encode(CHUNK_US, ts, np.array([1e300, 1.0])) == slots.NONE
    assert slots.encode(CHUNK_US, ts, np.array([-0.0, 1.0])) == slots.NONE


def test_points_outside_the_hour_are_refused() -> None:
    with pytest.raises(ValueError, match="one hour"):
        slots.encode(CHUNK_US, np.array([CHUNK_US + HOUR_US]), np.array([1.0]))
    with pytest.raises(ValueError, match="one hour"):
        slots.encode(CHUNK_US, np.array([CHUNK_US - 1]), np.array([1.0]))


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "nothing to decode"),
        (b"\x01", "scale and mask"),
        (b"\x10\x01\x01\x00\x00\x00", "scale or mask"),  # scale 16
        (b"\x01\x80\x40\x01\x00\x00\x00", "scale or mask"),  # mask 8192: a 13th slot
        (b"\x01\x03\x01\x00\x00\x00", "wrong number"),  # two slots, one entry
        (b"\x01\x01\x00\x00\x00\x00", "empty slot"),
        (b"\x01\x01\x01\x00\x00\x80", "truncated"),
    ],
)
def test_a_damaged_blob_is_a_value_error(blob: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        slots.Slots([blob], np.array([CHUNK_US]))
