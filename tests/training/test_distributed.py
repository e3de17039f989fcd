"""Two gloo processes under torchrun: same weights on both ranks, one writer, resume."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.training.conftest import tiny_train_argv
from training.checkpoint import load_checkpoint
from training.run_files import read_metrics

REPO = Path(__file__).resolve().parents[2]


def _torchrun(args: list[str]) -> str:
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "training",
        "train",
        *args,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stderr + result.stdout


def _checksums(log: str) -> dict[int, str]:
    return {int(rank): checksum for rank, checksum in re.findall(r"rank (\d) final weights checksum (\w+)", log)}


def test_two_process_gloo_run_and_resume(photo_folders, tmp_path):
    train_dir, val_dir = photo_folders
    out = tmp_path / "ddp"
    common = tiny_train_argv(train_dir, val_dir, out, "--workers", "0", "--l1-epochs", "1")
    first = _torchrun([*common, "--gan-epochs", "0"])
    assert "world size 2" in first and "effective 4" in first
    checksums = _checksums(first)
    assert set(checksums) == {0, 1} and checksums[0] == checksums[1]
    state = load_checkpoint(out / "last.pt")
    assert state["epoch"] == 1 and state["global_step"] == 12 // 4

    second = _torchrun([*common, "--gan-epochs", "1", "--resume", str(out / "last.pt")])
    assert "resumed from" in second
    checksums = _checksums(second)
    assert set(checksums) == {0, 1} and checksums[0] == checksums[1]
    assert load_checkpoint(out / "last.pt")["epoch"] == 2
    assert [row["phase"] for row in read_metrics(out / "metrics.csv")] == ["1", "2"]
    assert not list(out.glob(".*.tmp"))  # only rank 0 wrote, and atomically


def test_two_process_run_with_photos_in_memory_and_an_ema(photo_folders, tmp_path):
    """--data-on-device under DDP: each rank crops its share on its device; weights and their EMA agree."""
    train_dir, val_dir = photo_folders
    out = tmp_path / "ddp-device"
    options = "--l1-epochs 1 --gan-epochs 1 --data-on-device --hints --ema-decay 0.9 --gan-lr-decay-start 0.5"
    log = _torchrun(tiny_train_argv(train_dir, val_dir, out, *options.split()))
    checksums = _checksums(log)
    assert set(checksums) == {0, 1} and checksums[0] == checksums[1]
    state = load_checkpoint(out / "last.pt")
    assert state["global_step"] == 2 * (12 // 4) and state["generator_ema"] is not None
    assert [row["phase"] for row in read_metrics(out / "metrics.csv")] == ["1", "2"]
