"""Checkpoints (training.checkpoint): a kill mid-write never leaves a corrupt file."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.training.conftest import REPO
from training.checkpoint import load_checkpoint

_WRITER = """
import sys, torch
from training.checkpoint import save_checkpoint
state = {"weights": torch.randn(4_000_000), "epoch": 0}
for epoch in range(1_000_000):
    state["epoch"] = epoch
    save_checkpoint(state, sys.argv[1])
    print(epoch, flush=True)
"""


def test_kill_during_checkpoint_write_never_leaves_a_corrupt_file(tmp_path):
    path = tmp_path / "last.pt"
    for attempt in range(4):
        process = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert process.stdout is not None
        process.stdout.readline()  # one complete write happened
        for _ in range(attempt):
            process.stdout.readline()
        process.kill()  # SIGKILL, most likely in the middle of the next write
        process.wait()
        state = load_checkpoint(path)
        assert state["weights"].shape == (4_000_000,)
