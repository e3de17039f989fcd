"""Micro-batching: concurrent calls with inputs of the same shape share one forward.

A GPU runs a batch of 8 images in little more time than one, so a service that
colorizes concurrent requests one forward at a time leaves most of the GPU idle.
`MicroBatcher` gathers them: the first caller for a shape opens a group and waits
up to `wait_s` (or until `max_batch` inputs have joined), then runs the group as
one batch and hands each caller its own slice. Forwards never overlap (one model
copy). Callers block in `threading` primitives only, so the batcher works with
gunicorn's thread workers and, monkey-patched, with greenlets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class _Group:
    items: list[np.ndarray] = field(default_factory=list)
    full: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    closed: bool = False
    outputs: np.ndarray | None = None
    error: BaseException | None = None


@dataclass
class BatchStats:
    """What the batcher did so far (for /v1/health and tests)."""

    forwards: int = 0
    images: int = 0
    largest_batch: int = 0


class MicroBatcher:
    """Run `forward` on batches gathered from concurrent `__call__`s of the same input shape."""

    def __init__(self, forward: Callable[[np.ndarray], np.ndarray], wait_s: float, max_batch: int) -> None:
        if wait_s < 0 or max_batch < 1:
            raise ValueError("wait_s must be >= 0 and max_batch >= 1")
        self._forward = forward
        self.wait_s = wait_s
        self.max_batch = max_batch
        self.stats = BatchStats()
        self._lock = threading.Lock()  # guards _open and the stats
        self._model = threading.Lock()  # one forward at a time on the model copy
        self._open: dict[tuple[int, ...], _Group] = {}

    def __call__(self, item: np.ndarray) -> np.ndarray:
        """One input (C, h, w) -> its output; blocks until the batch it joined has run."""
        key = tuple(item.shape)
        with self._lock:
            existing = self._open.get(key)
            leader = existing is None
            group = self._open[key] = _Group() if existing is None else existing
            index = len(group.items)
            group.items.append(item)
            if len(group.items) >= self.max_batch:
                self._close(key, group)
        if leader:
            self._lead(key, group)
        else:
            group.done.wait()
        if group.error is not None:
            raise group.error
        assert group.outputs is not None  # set by the leader before `done`
        return group.outputs[index]

    def run_batch(self, batch: np.ndarray) -> np.ndarray:
        """A batch the caller assembled itself: run it now (after any forward in progress)."""
        with self._model:
            outputs = self._forward(batch)
        self._count(len(batch))
        return outputs

    def _close(self, key: tuple[int, ...], group: _Group) -> None:
        """Stop the group taking members (called with _lock held)."""
        group.closed = True
        group.full.set()
        if self._open.get(key) is group:
            del self._open[key]

    def _lead(self, key: tuple[int, ...], group: _Group) -> None:
        group.full.wait(self.wait_s)
        # While the model is busy with another batch, this group keeps gathering.
        with self._model:
            with self._lock:
                self._close(key, group)
            try:
                group.outputs = self._forward(np.stack(group.items))
            except BaseException as error:  # noqa: BLE001 - every member must hear of it, not only the leader
                group.error = error
            finally:
                group.done.set()
        self._count(len(group.items))

    def _count(self, images: int) -> None:
        with self._lock:
            self.stats.forwards += 1
            self.stats.images += images
            self.stats.largest_batch = max(self.stats.largest_batch, images)
