"""Give memory back to the operating system after big images.

glibc keeps freed memory in its heaps for reuse, so one 49-megapixel request
left a worker 500 MB larger for good. Two settings fix that without recycling
workers (which would reload the model and refuse requests meanwhile):
- at most `ARENA_MAX` malloc arenas, instead of up to 8 per core: the
  offload threads (offload.py) would otherwise each grow a heap of their own;
- `malloc_trim` after each image of `TRIM_ABOVE_PIXELS` or more, which hands
  every free page of the heaps back. Not after small ones: the next request
  would fault the same pages back in, measured at 10-20% of a 512x512
  colorization, while what a small image leaves behind is reused by the next.
A fixed mmap threshold (large buffers always mapped apart) was measured too:
20-40% slower, every activation tensor being mapped and faulted afresh.
Both are no-ops where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger("inference_service.memory")

_M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)
ARENA_MAX = 2
TRIM_ABOVE_PIXELS = 2_000_000


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


_libc = _glibc()


def tune_allocator() -> bool:
    """Cap this process's malloc arenas (call it early, before threads start); False where unsupported."""
    if _libc is None:
        return False
    if not _libc.mallopt(_M_ARENA_MAX, ARENA_MAX):
        logger.warning("mallopt refused M_ARENA_MAX")
        return False
    return True


def release_free_memory() -> None:
    """Return the free pages of every malloc heap to the OS (milliseconds)."""
    if _libc is not None:
        _libc.malloc_trim(0)


def release_after(pixels: int) -> None:
    """release_free_memory() after an image of TRIM_ABOVE_PIXELS or more."""
    if pixels >= TRIM_ABOVE_PIXELS:
        release_free_memory()
