"""Shared by the training tests: tiny photo folders (made here, never downloaded), a tiny run
configuration, and one torch thread per test (the machine is shared)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from model.colorizer import Colorizer
from model.generator import UNetGenerator
from model.torch_backend import TorchBackend
from tests.conftest import TINY_GENERATOR, make_photo
from training.config import TrainConfig

REPO = Path(__file__).resolve().parents[2]


def write_photos(folder, count: int, size: int = 48, start_seed: int = 0, suffix: str = ".png"):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        make_photo(size, size, seed=start_seed + index).save(folder / f"photo_{index:03d}{suffix}")
    return folder


@pytest.fixture
def photo_folders(tmp_path):
    """(train_dir, val_dir) with 12 and 4 small colour photos."""
    train = write_photos(tmp_path / "train", 12, start_seed=0)
    val = write_photos(tmp_path / "val", 4, start_seed=100, suffix=".jpg")
    return train, val


def torch_generator(colorizer: Colorizer) -> UNetGenerator:
    """The network behind a colorizer loaded with backend="torch"."""
    assert isinstance(colorizer.backend, TorchBackend)
    return colorizer.backend.generator


def tiny_config(train_dir, val_dir, out_dir, **overrides) -> TrainConfig:
    values: dict[str, Any] = {
        "data_dir": str(train_dir),
        "val_dir": str(val_dir),
        "out_dir": str(out_dir),
        "image_size": 32,
        "batch_size": 4,
        "l1_epochs": 1,
        "gan_epochs": 1,
        "decoder_channels": [16, 16, 16, 8, 8],
        "device": "cpu",
        "workers": 0,
        "seed": 0,
        "sample_count": 2,
        "progress": False,
        "min_image_side": 16,
    }
    values.update(overrides)
    return TrainConfig(**values)


def tiny_train_argv(train_dir, val_dir, out_dir, *extra: str) -> list[str]:
    """`python -m training train` options of a tiny CPU run (tiny_config's, batch 2), then `extra`."""
    decoder = [str(width) for width in TINY_GENERATOR.decoder_channels]
    return [
        *("--data-dir", str(train_dir), "--val-dir", str(val_dir), "--out-dir", str(out_dir)),
        *("--image-size", "32", "--batch-size", "2", "--decoder-channels", *decoder),
        *("--device", "cpu", "--no-progress", "--min-image-side", "16"),
        *extra,
    ]


def evaluate_argv(artifact, data_dir, *extra: str) -> list[str]:
    """`python -m training evaluate` of `artifact` on `data_dir` on the CPU, then `extra`."""
    return ["evaluate", "--artifact", str(artifact), "--data-dir", str(data_dir), "--device", "cpu", *extra]


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
