"""Stop signals during training (training.stop_signals)."""

import os
import signal

import torch

from training.distributed import DistributedContext
from training.stop_signals import StopRequest, ignore_stop_signals


def test_a_signal_becomes_a_flag_and_the_old_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM)
    stop = StopRequest()
    stop.install()
    try:
        assert not stop.agreed(DistributedContext(), torch.device("cpu"))
        os.kill(os.getpid(), signal.SIGTERM)  # would end the test process without the handler
        assert stop.requested
        assert stop.agreed(DistributedContext(), torch.device("cpu"))
    finally:
        stop.restore()
    assert signal.getsignal(signal.SIGTERM) is before


def test_data_workers_ignore_stop_signals():
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        ignore_stop_signals(0)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
