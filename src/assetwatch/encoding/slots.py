"""Five-minute summaries of a segment ("slots"): the count, min, max and sum of each five minutes
of its hour, so that rollups whose buckets are whole five minutes need not decode its points.

Stored beside the blob, a dozen small numbers per hour. Only segments of decimal values get
them: at their scale k the values are integers, so a slot's min and max are exact (they read
back bit for bit as the points they are) and its sum is exact too. Other segments store `b""`
(none: reads decode them).

Layout, as unsigned LEB128 varints (`varint`): k, a 12-bit mask of the non-empty slots (bit i:
minutes 5i to 5i + 5 of the hour), then for each non-empty slot in order: count,
zz(min - previous slot's min) (the first from 0), max - min, sum - count * min.
"""

import numpy as np
from numpy.typing import NDArray

from assetwatch.encoding.scaled import MAX_DECIMAL_SCALE, POWERS_OF_TEN, to_scaled_ints
from assetwatch.encoding.varint import (
    decode_varints,
    encode_varints,
    ranges,
    segmented_cumsum,
    unzigzag,
    zigzag,
)

SLOT_US = 300_000_000  # five minutes
SLOTS = 12  # in an hour chunk
NONE = b""  # a segment whose values are not decimals, or hold a -0.0: no slots
_LIMIT = 2**62  # sums beyond this could overflow int64: no slots


def encode(chunk_start_us: int, ts: NDArray[np.int64], values: NDArray[np.float64]) -> bytes:
    """The slots of one hour's points (ts sorted, inside the hour), or `NONE`."""
    offsets = ts - chunk_start_us
    if ts.size == 0 or int(offsets[0]) < 0 or int(offsets[-1]) >= SLOTS * SLOT_US:
        raise ValueError("slot summaries take the non-empty points of one hour")
    if bool(np.any((values == 0) & np.signbit(values))):
        return NONE
    scaled = to_scaled_ints(values)
    if scaled is None:
        return NONE
    scale, ints = scaled
    if int(np.abs(ints).max()) * ints.size >= _LIMIT:
        return NONE
    slot = offsets // SLOT_US
    firsts = np.flatnonzero(np.concatenate(([True], slot[1:] != slot[:-1])))
    counts = np.diff(np.append(firsts, ts.size))
    lows = np.minimum.reduceat(ints, firsts)
    highs = np.maximum.reduceat(ints, firsts)
    sums = np.add.reduceat(ints, firsts)
    mask = int(np.bitwise_or.reduce(np.left_shift(1, slot[firsts])))
    entries = np.stack(
        (
            counts.view(np.uint64),
            zigzag(np.diff(lows, prepend=np.int64(0))),
            (highs - lows).view(np.uint64),
            (sums - counts * lows).view(np.uint64),
        ),
        axis=1,
    ).ravel()
    head = np.array([scale, mask], dtype=np.uint64)
    return encode_varints(np.concatenate((head, entries)))


class Slots:
    """Several segments' slots, decoded together: one row per non-empty slot."""

    def __init__(self, blobs: list[bytes], chunk_starts_us: NDArray[np.int64]) -> None:
        """`blobs[i]` are the slots of the hour at `chunk_starts_us[i]`; ValueError if one is
        not a valid slots blob (empty `NONE` included: those have no slots to read)."""
        if any(not blob for blob in blobs):
            raise ValueError("a segment without slots has nothing to decode")
        data = b"".join(blobs)
        ints = decode_varints(data)
        sizes = np.array([len(blob) for blob in blobs], dtype=np.int64)
        byte_starts = np.cumsum(sizes) - sizes
        ends = (np.frombuffer(data, dtype=np.uint8) < 0x80).astype(np.int64)
        held = np.add.reduceat(ends, byte_starts) if blobs else sizes
        firsts = np.cumsum(held) - held
        if bool(np.any(held < 2)):
            raise ValueError("a slots blob lacks its scale and mask")
        scales, masks = ints[firsts], ints[firsts + 1]
        if bool(np.any(scales > MAX_DECIMAL_SCALE)) or bool(np.any(masks >= 1 << SLOTS)):
            raise ValueError("a slots blob has a bad scale or mask")
        present = (masks[:, None] >> np.arange(SLOTS, dtype=np.uint64)) & np.uint64(1) == 1
        per_blob = present.sum(axis=1)
        if not np.array_equal(held, 2 + 4 * per_blob):
            raise ValueError("a slots blob holds the wrong number of values for its mask")
        entries = ints[ranges(firsts + 2, 4 * per_blob)].reshape(-1, 4)
        owner, slot = np.nonzero(present)  # row-major: each blob's slots in order
        counts = entries[:, 0].view(np.int64)
        if bool(np.any(counts <= 0)):
            raise ValueError("a slots blob lists an empty slot")
        starts = np.cumsum(per_blob) - per_blob
        lows = segmented_cumsum(unzigzag(entries[:, 1]), starts, per_blob)
        highs = lows + entries[:, 2].view(np.int64)
        sums = entries[:, 3].view(np.int64) + counts * lows
        divisors = POWERS_OF_TEN[scales[owner].astype(np.int64)]
        self.owner = owner.astype(np.int64)  # the index of the blob each slot came from
        self.start_us = chunk_starts_us[owner] + slot.astype(np.int64) * SLOT_US
        self.count = counts
        self.low = lows.astype(np.float64) / divisors
        self.high = highs.astype(np.float64) / divisors
        self.total = sums.astype(np.float64) / divisors
