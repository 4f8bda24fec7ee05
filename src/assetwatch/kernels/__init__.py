"""Loops numpy cannot vectorise, compiled by numba: decoding segment blobs (`segments`),
summing points up per bucket (`buckets`) and zipping JSON columns into objects (`json_rows`).
Each compiles on its first call, which takes a second or two: `compile_all` does that at
start-up, before any request."""

from assetwatch.kernels import buckets, json_rows, segments


def compile_all() -> None:
    """Compile every kernel now; raises if numba cannot compile them on this machine."""
    segments.compile_kernels()
    buckets.compile_kernel()
    json_rows.compile_kernel()
