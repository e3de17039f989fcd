"""memory.py really hands freed heap memory back to the OS (glibc only)."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

from inference_service import memory

pytestmark = pytest.mark.skipif(memory.free_heap_bytes() is None, reason="needs glibc 2.33+ (mallinfo2)")


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_freed_heap_memory_goes_back_to_the_os():
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    # 1,600 blocks of 64 KB: under glibc's mmap threshold, so they live in the heap.
    blocks = [libc.malloc(64 * 1024) for _ in range(1600)]
    for block in blocks:
        ctypes.memset(block, 1, 64 * 1024)  # touched: resident
    keeper = libc.malloc(64 * 1024)  # keeps the heap's top from shrinking by itself
    for block in blocks:
        libc.free(block)
    assert memory.free_heap_bytes() > memory.TRIM_ABOVE_FREE_BYTES
    before = _rss_bytes()
    memory.release_if_worthwhile()
    assert before - _rss_bytes() > 50 * 1024 * 1024
    assert memory.free_heap_bytes() < memory.TRIM_ABOVE_FREE_BYTES or _rss_bytes() < before
    libc.free(keeper)


def test_a_small_surplus_is_left_for_the_next_request():
    memory.release_free_memory()
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    block = libc.malloc(64 * 1024)
    libc.free(block)
    assert memory.free_heap_bytes() < memory.TRIM_ABOVE_FREE_BYTES
    assert memory.tune_allocator() is True
