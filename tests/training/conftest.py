"""Tiny photo folders for training tests (made here, never downloaded)."""

from __future__ import annotations

import pytest

from tests.conftest import make_photo


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
