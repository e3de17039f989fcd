"""memory.py really hands freed heap memory back to the OS, and only when it is worth it (glibc, Linux)."""

from __future__ import annotations

import ctypes

import pytest

from inference_service import memory

pytestmark = pytest.mark.skipif(
    memory.resident_bytes() is None or not memory.tune_allocator(), reason="needs glibc and /proc"
)
BLOCK = 64 * 1024  # under glibc's mmap threshold: these blocks live in the heap


def _libc():
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    return libc


def test_a_grown_heap_goes_back_to_the_os_and_a_settled_one_is_left_alone():
    libc = _libc()
    trimmer = memory.HeapTrimmer()
    assert trimmer.after_request() is False  # the first request sets the level
    assert trimmer.after_request() is False  # nothing grew
    blocks = [libc.malloc(BLOCK) for _ in range(2400)]  # 150 MB, touched: resident
    for block in blocks:
        ctypes.memset(block, 1, BLOCK)
    keeper = libc.malloc(BLOCK)  # keeps the heap's top from shrinking by itself
    for block in blocks:
        libc.free(block)
    grown = memory.resident_bytes()
    assert grown is not None
    assert trimmer.after_request() is True
    assert grown - (memory.resident_bytes() or 0) > 100 * 1024 * 1024
    assert trimmer.after_request() is False  # settled again: no trim per request
    libc.free(keeper)
