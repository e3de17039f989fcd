"""Run CPU-bound work (decode, the model, encode) on a real OS thread.

Under the gevent worker (`worker.py`) every connection is a greenlet on the
worker's one event loop; CPU work done on it would stall every other
connection, health checks included. `run_blocking` hands such work to a pool
of native threads and waits for it cooperatively, so the loop keeps reading
requests and answering health checks meanwhile (torch, numpy and Pillow
release the GIL while they compute). Without gevent (Flask's test client, the
gthread worker) it simply calls the function on the current thread.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_pool: Any = None  # a gevent ThreadPool once made
_pool_pid: int | None = None
_pool_size = 8


def configure(threads: int) -> None:
    """Size of the thread pool: at least the requests the InferenceGate admits at once."""
    global _pool_size
    _pool_size = max(1, threads)


def _gevent_loop_active() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("socket")


def _thread_pool() -> Any:
    global _pool, _pool_pid
    with _lock:
        # Created lazily in the process that uses it: a pool made before a fork has no threads after it.
        if _pool is None or _pool_pid != os.getpid():
            from gevent.threadpool import ThreadPool  # only under the gevent worker

            _pool = ThreadPool(_pool_size)
            _pool_pid = os.getpid()
        return _pool


def run_blocking(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` on a real thread when an event loop must stay free; its exception is re-raised here."""
    if not _gevent_loop_active():
        return function(*args)
    return _thread_pool().apply(function, args)
