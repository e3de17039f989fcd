"""Give memory back to the operating system after big images and bursts.

glibc keeps freed memory in its heaps for reuse, so one 49-megapixel request
left a worker 500 MB larger for good, and 400 requests at concurrency 8 some
20% larger. Two settings fix that without recycling workers (which would
reload the model and refuse requests meanwhile):
- at most `ARENA_MAX` malloc arenas instead of up to 8 per core: the offload
  threads (offload.py) would otherwise each grow a heap of their own;
- after each colorization, `malloc_trim` when the heaps hold more than
  `TRIM_ABOVE_FREE_BYTES` of free memory: every free page goes back to the OS.
  Not always: after a small image the heaps hold only 10-20 MB free, which the
  next request reuses; trimming it anyway made the next one fault those pages
  back in, measured at 10-20% of a 512x512 colorization.
A fixed mmap threshold (large buffers always mapped apart) was measured too:
20-40% slower, every activation tensor being mapped and faulted afresh.
All of it is a no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger("inference_service.memory")

_M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)
ARENA_MAX = 2
TRIM_ABOVE_FREE_BYTES = 32 * 1024 * 1024


class _MallInfo2(ctypes.Structure):
    """glibc's struct mallinfo2 (2.33+): `fordblks` is the free memory held in the heaps."""

    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]  # fmt: skip


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not (hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt")):
        return None
    if hasattr(libc, "mallinfo2"):
        libc.mallinfo2.restype = _MallInfo2
    return libc


_libc = _glibc()


def tune_allocator() -> bool:
    """Cap this process's malloc arenas (call it early, before threads start); False where unsupported."""
    if _libc is None:
        return False
    if not _libc.mallopt(_M_ARENA_MAX, ARENA_MAX):
        logger.warning("mallopt refused M_ARENA_MAX")
        return False
    return True


def free_heap_bytes() -> int | None:
    """Free memory the malloc heaps hold (None where unknown)."""
    if _libc is None or not hasattr(_libc, "mallinfo2"):
        return None
    return int(_libc.mallinfo2().fordblks)


def release_free_memory() -> None:
    """Return the free pages of every malloc heap to the OS (milliseconds)."""
    if _libc is not None:
        _libc.malloc_trim(0)


def release_if_worthwhile() -> None:
    """release_free_memory() when the heaps hold more than TRIM_ABOVE_FREE_BYTES free."""
    free = free_heap_bytes()
    if free is None or free > TRIM_ABOVE_FREE_BYTES:
        release_free_memory()
