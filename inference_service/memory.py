"""Give memory back to the operating system after big images.

glibc keeps freed memory in its heaps for reuse, so one 50-megapixel request
left a worker 500 MB larger for good. Two knobs fix that without recycling
workers (which would reload the model and refuse requests meanwhile):
a fixed mmap threshold, so large buffers (decoded images, Lab planes, tensors)
are mapped on their own and unmapped when freed, and `malloc_trim` after each
colorization for what fragmentation leaves in the heaps. A few arenas instead
of 8 per core keeps the threads from each holding a heap of their own.
Both are no-ops where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger("inference_service.memory")

# mallopt parameters (glibc malloc.h).
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
# Allocations of this size or more get their own mapping, returned to the OS on free.
MMAP_THRESHOLD_BYTES = 1024 * 1024
ARENA_MAX = 2


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


_libc = _glibc()


def tune_allocator() -> bool:
    """Set the fixed mmap threshold and the arena cap for this process; False where unsupported."""
    if _libc is None:
        return False
    ok = bool(_libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(_libc.mallopt(_M_ARENA_MAX, ARENA_MAX))
    if not ok:
        logger.warning("mallopt refused the memory settings")
    return ok


def release_free_memory() -> None:
    """Return the free parts of every malloc heap to the OS (a millisecond or so)."""
    if _libc is not None:
        _libc.malloc_trim(0)
