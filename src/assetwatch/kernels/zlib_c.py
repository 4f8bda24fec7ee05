"""zlib's `uncompress2`, called from compiled loops through ctypes: a whole zlib stream
inflated into a buffer, with how much of the input it took, so a stream followed by junk is
found as surely as `zlib.decompressobj` finds it. The C library is the one Python's own zlib
module is built against on Debian (libz.so.1); `uncompress2` needs zlib 1.2.9 or later."""

import ctypes
import ctypes.util
from typing import Any

Z_OK = 0


def _load() -> tuple[Any, str]:
    """The C function, or None and why not."""
    name = ctypes.util.find_library("z") or "libz.so.1"
    try:
        library = ctypes.CDLL(name)
    except OSError as error:
        return None, f"zlib's C library ({name}) cannot be loaded: {error}"
    function = getattr(library, "uncompress2", None)
    if function is None:
        return None, f"{name} has no uncompress2 (zlib 1.2.9 or later is needed)"
    function.restype = ctypes.c_int
    function.argtypes = [ctypes.c_void_p] * 4
    return function, ""


uncompress2, MISSING = _load()


def require() -> None:
    """Raise, saying why, when the compiled decoder cannot inflate: checked as `serve` starts."""
    if uncompress2 is None:
        raise RuntimeError(MISSING)
