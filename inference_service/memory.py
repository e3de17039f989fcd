"""Give memory back to the operating system after big images and bursts.

glibc keeps freed memory in its heaps for reuse, so one 49-megapixel request
left a worker 500 MB larger for good, and 400 requests at concurrency 8 some
20% larger. Two settings fix that without recycling workers (which would
reload the model and refuse requests meanwhile):
- at most `ARENA_MAX` malloc arenas instead of up to 8 per core: the offload
  threads (offload.py) would otherwise each grow a heap of their own;
- after each colorization, `HeapTrimmer` calls `malloc_trim` (every free heap
  page back to the OS) when the process has grown more than `TRIM_MARGIN_BYTES`
  beyond its level after the previous trim (or after its first request). Not
  after every request: a small image's pages are reused by the next one, and
  trimming them anyway made the next request fault them back in, measured at
  10-20% of a 512x512 colorization.
A fixed mmap threshold (large buffers always mapped apart) was measured too:
20-40% slower, every activation tensor being mapped and faulted afresh.
All of it is a no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading

logger = logging.getLogger("inference_service.memory")

_M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)
ARENA_MAX = 2
TRIM_MARGIN_BYTES = 32 * 1024 * 1024
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


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


def resident_bytes() -> int | None:
    """This process's resident memory (RSS), or None where /proc is not there."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return None


def release_free_memory() -> None:
    """Return the free pages of every malloc heap to the OS (milliseconds)."""
    if _libc is not None:
        _libc.malloc_trim(0)


class HeapTrimmer:
    """Trims the heaps after a request that left the process `margin_bytes` above its last settled level."""

    def __init__(self, margin_bytes: int = TRIM_MARGIN_BYTES) -> None:
        self.margin_bytes = margin_bytes
        self.settled_bytes: int | None = None  # RSS after the first request, then after each trim
        self._lock = threading.Lock()

    def after_request(self) -> bool:
        """Call when a request's buffers have been freed; True when it trimmed."""
        if _libc is None:
            return False
        with self._lock:
            resident = resident_bytes()
            if resident is None:
                return False
            if self.settled_bytes is None:
                self.settled_bytes = resident
                return False
            if resident <= self.settled_bytes + self.margin_bytes:
                return False
            release_free_memory()
            # Whatever is still resident is live: the new level to compare with.
            self.settled_bytes = resident_bytes() or resident
            return True


# The process's one trimmer: every request's thread reports to it.
heap_trimmer = HeapTrimmer()
