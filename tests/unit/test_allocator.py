"""The allocator policy: glibc is told to keep freed blocks; another C library is left alone,
and start-up says so."""

import ctypes
import logging

import pytest

from assetwatch import allocator


class _Glibc:
    def __init__(self, answer: int = 1) -> None:
        self.calls: list[tuple[int, int]] = []
        self.answer = answer

    def gnu_get_libc_version(self) -> bytes:
        return b"2.36"

    def mallopt(self, option: int, value: int) -> int:
        self.calls.append((option, value))
        return self.answer


def test_glibc_keeps_freed_blocks_up_to_the_held_size(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = _Glibc()
    monkeypatch.setattr(allocator, "_libc", lambda: libc)
    assert allocator.hold_freed_memory()
    # M_MMAP_THRESHOLD (-3) then M_TRIM_THRESHOLD (-1), as <malloc.h> numbers them.
    assert libc.calls == [(-3, allocator.HELD_BYTES), (-1, 2 * allocator.HELD_BYTES)]


def test_a_refused_setting_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator, "_libc", lambda: _Glibc(answer=0))
    with pytest.raises(RuntimeError, match="M_MMAP_THRESHOLD"):
        allocator.hold_freed_memory()


def test_another_c_library_is_left_alone_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(allocator, "_libc", lambda: object())
    with caplog.at_level(logging.WARNING, logger="assetwatch.allocator"):
        assert not allocator.hold_freed_memory()
    assert "not glibc" in caplog.text


def test_this_platform_takes_the_policy() -> None:
    """The image and CI run glibc: the real mallopt accepts both settings."""
    assert hasattr(ctypes.CDLL(None), "gnu_get_libc_version")
    assert allocator.hold_freed_memory()
