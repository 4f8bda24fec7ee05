"""JSON arrays of equal length zipped into one array of objects, in one compiled pass: the
columns are formatted by orjson (its own numbers and timestamps, byte for byte), and only the
copying of their tokens between the keys is left, which Python would do one object at a time."""

import numpy as np
from numpy.typing import NDArray

from assetwatch.kernels.compiled import Kernel

_COMMA = 44


def _zip_columns(
    columns: NDArray[np.uint8],
    starts: NDArray[np.int64],
    ends: NDArray[np.int64],
    keys: NDArray[np.uint8],
    key_ends: NDArray[np.int64],
    out: NDArray[np.uint8],
    row_ends: NDArray[np.int64],
) -> int:
    """Column c's tokens, comma-separated, are `columns[starts[c]:ends[c]]`; `keys` holds each
    object's key prefixes (`{"a":`, `,"b":` …), prefix c ending at key_ends[c]. Writes the
    objects, comma-separated, into `out` and where each ends into `row_ends`: the length
    written, or -1 when a column does not hold one token per row."""
    k = ends.size
    cursor = starts.copy()
    o = 0
    for i in range(row_ends.size):
        if i > 0:
            out[o] = _COMMA
            o += 1
        for c in range(k):
            key_start = 0 if c == 0 else key_ends[c - 1]
            for j in range(key_start, key_ends[c]):
                out[o] = keys[j]
                o += 1
            p = cursor[c]
            end = ends[c]
            if p >= end:
                return -1
            while p < end and columns[p] != _COMMA:
                out[o] = columns[p]
                o += 1
                p += 1
            cursor[c] = p + 1
        out[o] = 125  # }
        o += 1
        row_ends[i] = o
    for c in range(k):
        if cursor[c] < ends[c]:
            return -1
    return o


kernel = Kernel(_zip_columns)


def zip_columns(keys: list[str], columns: list[bytes], groups: list[int]) -> list[bytes]:
    """`[{keys[0]: columns[0][i], …} for i in group]` as JSON for each group of rows (`groups`:
    their sizes, in order), each `columns[c]` a JSON array of `sum(groups)` values whose tokens
    hold no comma (numbers, timestamps). Keys are written as given: plain JSON string contents
    (no quote, no backslash)."""
    rows = sum(groups)
    prefixes = [f'{"{" if c == 0 else ","}"{key}":'.encode() for c, key in enumerate(keys)]
    joined = np.frombuffer(b"".join(columns), dtype=np.uint8)
    ends = np.cumsum([len(column) for column in columns], dtype=np.int64)
    key_bytes = np.frombuffer(b"".join(prefixes), dtype=np.uint8)
    out = np.empty(joined.size + rows * (key_bytes.size + 2), dtype=np.uint8)
    row_ends = np.empty(rows, dtype=np.int64)
    size = kernel(
        joined,
        np.concatenate(([0], ends[:-1])) + 1,  # after each column's [
        ends - 1,  # at its ]
        key_bytes,
        np.cumsum([len(prefix) for prefix in prefixes], dtype=np.int64),
        out,
        row_ends,
    )
    if size < 0:
        raise ValueError(f"every column must hold {rows} values")
    written = out[:size].tobytes()
    arrays = []
    first = 0
    for n in groups:
        if n == 0:
            arrays.append(b"[]")
            continue
        low = 0 if first == 0 else int(row_ends[first - 1]) + 1  # after the comma
        arrays.append(b"[" + written[low : int(row_ends[first + n - 1])] + b"]")
        first += n
    return arrays


def compile_kernel() -> None:
    """Compile the kernel now (a call on one row)."""
    zip_columns(["a"], [b"[1]"], [1])
