"""SIGINT/SIGTERM during training: a flag the loop checks between steps, never an abort.

The trainer stops at the next step boundary and writes a checkpoint that resumes exactly;
data-loader workers ignore both signals so that a Ctrl-C (sent to the whole process group)
cannot kill them before that checkpoint is written.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

import torch

from training.distributed import DistributedContext, all_reduce_sum


class StopRequest:
    """Turns SIGINT/SIGTERM into a flag checked between steps."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[signal.Signals, Any] = {}

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        self.requested = True

    def agreed(self, context: DistributedContext, device: torch.device) -> bool:
        """All ranks stop at the same step if any of them was signalled."""
        if not context.enabled:
            return self.requested
        flag = torch.tensor([1.0 if self.requested else 0.0], device=device)
        return bool(all_reduce_sum(flag, context).item() > 0)

    def restore(self) -> None:
        """Put back the handlers that were there before `install`."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()


def ignore_stop_signals(_worker_id: int) -> None:
    """A DataLoader `worker_init_fn`: workers leave SIGINT/SIGTERM to the main process.

    A Ctrl-C or `timeout` signals the whole process group; a worker killed by it
    would make the DataLoader raise before the checkpoint is written.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
