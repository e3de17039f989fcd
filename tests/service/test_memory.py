"""memory.py really hands freed heap memory back to the OS, and only when it is worth it (glibc, Linux)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from inference_service import memory

pytestmark = pytest.mark.skipif(
    memory.resident_bytes() is None or not memory.tune_allocator(), reason="needs glibc and /proc"
)
REPO_ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: the heap's shape (what is resident, what malloc_trim can give
# back) depends on everything the process allocated before, and earlier tests in the same
# pytest process (ONNX Runtime and torch thread pools, exported graphs) leave it unpredictable.
_HEAP_CHECK = textwrap.dedent(
    """
    import ctypes

    from inference_service import memory

    BLOCK = 64 * 1024  # under glibc's mmap threshold: these blocks live in the heap
    assert memory.tune_allocator()
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    trimmer = memory.HeapTrimmer()
    assert trimmer.after_request() is False, "the first request sets the level"
    assert trimmer.after_request() is False, "nothing grew"
    blocks = [libc.malloc(BLOCK) for _ in range(2400)]  # 150 MB, touched: resident
    for block in blocks:
        ctypes.memset(block, 1, BLOCK)
    keeper = libc.malloc(BLOCK)  # keeps the heap's top from shrinking by itself
    for block in blocks:
        libc.free(block)
    grown = memory.resident_bytes()
    assert grown is not None
    assert trimmer.after_request() is True, "grown past the margin: trimmed"
    released = grown - (memory.resident_bytes() or 0)
    assert released > 100 * 1024 * 1024, f"only {released} bytes went back to the OS"
    assert trimmer.after_request() is False, "settled again: no trim per request"
    libc.free(keeper)
    """
)


def test_a_grown_heap_goes_back_to_the_os_and_a_settled_one_is_left_alone():
    result = subprocess.run(
        [sys.executable, "-c", _HEAP_CHECK], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
