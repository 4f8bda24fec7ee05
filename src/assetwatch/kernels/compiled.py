"""A loop compiled by numba on its first call, numba itself imported then: the CLI's commands
and the maintenance worker never decode a blob and do not pay for its import (about 1.4 s and
100 MB resident)."""

from collections.abc import Callable
from typing import Any


class Kernel:
    """`function` compiled (no Python objects, the GIL released), compiled on the first call;
    `py_func` is the Python source, which the tests run beside it.

    With `parallel`, the iterations of its `prange` loops are spread over numba's threads. The
    function's module binds `prange` to `range` (numba is not imported there); compiling binds
    it to `numba.prange`, which runs as `range` in Python too."""

    def __init__(self, function: Callable[..., int], *, parallel: bool = False) -> None:
        self.py_func = function
        self.parallel = parallel
        self._dispatcher: Any = None

    def __call__(self, *args: Any) -> int:
        return int(self.dispatcher(*args))

    def freeze(self, frozen: bool = True) -> None:
        """Compile no more versions: a call whose argument types no compiled version takes,
        even by a safe conversion (a writable array converts to a read-only one), raises
        TypeError instead of compiling, which would hold a request for a tenth of a second."""
        self.dispatcher.disable_compile(frozen)

    @property
    def dispatcher(self) -> Any:
        """numba's dispatcher: compiles for the argument types of each new call."""
        if self._dispatcher is None:
            import numba  # deferred: see the module's docstring

            if "prange" in self.py_func.__globals__:
                self.py_func.__globals__["prange"] = numba.prange
            compile_ = numba.njit(nogil=True, cache=False, parallel=self.parallel)
            self._dispatcher = compile_(self.py_func)
        return self._dispatcher
