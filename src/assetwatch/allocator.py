"""glibc's malloc told to keep freed blocks of up to `HELD_BYTES` for the next request.

By default glibc hands each block of more than 128 KiB straight back to the kernel when it is
freed (and trims the heap's top), so every numpy array a read decodes into is new memory, page
faulted in again: on the widest rollups that cost more than the arithmetic (NARRATIVE.md,
"Freed memory kept"). Blocks up to `HELD_BYTES` now come from the heap and stay in the process,
at most `2 * HELD_BYTES` of them idle. Other C libraries keep their own policy; start-up says
which applies.
"""

import ctypes
import logging
from typing import Any

HELD_BYTES = 32 << 20
_M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3

log = logging.getLogger(__name__)


def _libc() -> Any:
    return ctypes.CDLL(None)


def hold_freed_memory() -> bool:
    """Apply the policy to this process; False (and a warning) where the C library is not
    glibc. Call it in each serving or worker process, before it serves."""
    libc = _libc()
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        log.warning("not glibc: freed memory goes back to the kernel as the C library decides")
        return False
    if libc.mallopt(_M_MMAP_THRESHOLD, HELD_BYTES) != 1:
        raise RuntimeError("glibc refused M_MMAP_THRESHOLD")
    if libc.mallopt(_M_TRIM_THRESHOLD, 2 * HELD_BYTES) != 1:
        raise RuntimeError("glibc refused M_TRIM_THRESHOLD")
    return True
