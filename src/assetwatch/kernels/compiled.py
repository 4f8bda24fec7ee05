"""A loop compiled by numba on its first call, numba itself imported then: the CLI's commands
and the maintenance worker never decode a blob and do not pay for its import (about 1.4 s and
100 MB resident)."""

from collections.abc import Callable
from typing import Any


class Kernel:
    """`function` compiled (no Python objects, the GIL released), compiled on the first call;
    `py_func` is the Python source, which the tests run beside it."""

    def __init__(self, function: Callable[..., int]) -> None:
        self.py_func = function
        self._dispatcher: Any = None

    def __call__(self, *args: Any) -> int:
        return int(self.dispatcher(*args))

    @property
    def dispatcher(self) -> Any:
        """numba's dispatcher: compiles for the argument types of each new call."""
        if self._dispatcher is None:
            import numba  # deferred: see the module's docstring

            self._dispatcher = numba.njit(nogil=True, cache=False)(self.py_func)
        return self._dispatcher
