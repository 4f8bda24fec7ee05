"""Loops numpy cannot vectorise, compiled by numba: decoding segment blobs (`segments`),
summing points up per bucket (`buckets`) and zipping JSON columns into objects (`json_rows`).
Each compiles on its first call, which takes a second or two: `compile_all` does that at
start-up, before any request, and then forbids compiling again."""

import os

from assetwatch.kernels import buckets, json_rows, segments
from assetwatch.kernels.compiled import Kernel

KERNELS: tuple[Kernel, ...] = (
    segments.read_headers,
    segments.decode_blobs,
    segments.decode_blobs_in_parallel,
    buckets.kernel,
    json_rows.kernel,
)


def compile_all(threads: int | None = None) -> None:
    """Compile every kernel now, the parallel ones to run on `threads` (None: the CPUs this
    process may run on); raises if numba cannot compile them here or run that many threads.
    Kernels are called from one thread (the event loop's): numba's fallback threading layer,
    where OpenMP is missing, refuses two parallel launches at once."""
    import numba  # deferred: only serving processes compile

    available = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    if threads is not None and threads > available:
        raise RuntimeError(
            f"DECODE_THREADS={threads} is more than numba's {available} threads "
            "(NUMBA_NUM_THREADS, by default this machine's CPUs)"
        )
    chosen = threads or min(available, len(os.sched_getaffinity(0)))
    # Idle threads sleep at once rather than spin: the cores are PostgreSQL's and the other
    # requests' between two decodes. Read by OpenMP as the first parallel kernel starts it.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    numba.set_num_threads(chosen)
    segments.use_threads(chosen)
    segments.compile_kernels()
    buckets.compile_kernel()
    json_rows.compile_kernel()
    # Each was compiled for the argument types requests pass; one they were not compiled for
    # (an argument made read-only or strided by a change elsewhere) would otherwise compile
    # again on a request, silently. The tests serve every path after this.
    for kernel in KERNELS:
        kernel.freeze()
