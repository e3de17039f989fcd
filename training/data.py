"""Photo folders -> training batches: discovery, validation, augmentation.

Workers only decode, crop and flip, returning uint8 RGB tensors; the Lab
conversion happens batched on the training device (see `training.steps`).
Augmentation randomness comes from a generator seeded by (seed, epoch, index),
so a run is reproducible and a resumed run sees exactly the same crops.
"""

from __future__ import annotations

import logging
import math
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from model.image_formats import IMAGE_SUFFIXES

log = logging.getLogger(__name__)

# A photo whose a*/b* spread is this small is effectively grayscale: nothing to learn from.
GRAYSCALE_CHROMA_THRESHOLD = 2.0
CROP_SCALE = (0.35, 1.0)
CROP_RATIO = (3 / 4, 4 / 3)


@dataclass
class ScanResult:
    """Usable files plus the count of each reason a file was skipped."""

    files: list[Path] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    def describe(self) -> str:
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(self.skipped.items())) or "none"
        return f"{len(self.files)} usable, skipped: {reasons}"


def list_images(root: str | Path) -> list[Path]:
    """Every file under `root` with an image suffix, sorted (case-insensitive suffixes)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data directory not found: {root}")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _chroma_spread(image: Image.Image) -> float:
    """Max channel difference spread on a small copy: cheap grayscale detection."""
    small = np.asarray(image.resize((64, 64)), dtype=np.float32)
    return float(max(np.abs(small[..., 0] - small[..., 1]).mean(), np.abs(small[..., 1] - small[..., 2]).mean()))


def check_image(path: Path, min_side: int) -> str | None:
    """None if the file is a usable colour photo, else the reason to skip it."""
    try:
        with Image.open(path) as image:
            if min(image.size) < min_side:
                return "too small"
            image.draft("RGB", (128, 128))  # JPEG: decode at reduced size, much faster
            rgb = image.convert("RGB")
            rgb.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return "undecodable"
    if image.mode in ("L", "LA", "1", "I", "I;16") or _chroma_spread(rgb) < GRAYSCALE_CHROMA_THRESHOLD:
        return "grayscale"
    return None


def scan_folder(root: str | Path, min_side: int, workers: int = 8) -> ScanResult:
    """Find usable photos under `root`, counting (never raising on) bad files."""
    candidates = list_images(root)
    result = ScanResult()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for path, reason in zip(candidates, pool.map(lambda p: check_image(p, min_side), candidates), strict=False):
            if reason is None:
                result.files.append(path)
            else:
                result.skipped[reason] += 1
    return result


def split_validation(files: list[Path], fraction: float, seed: int) -> tuple[list[Path], list[Path]]:
    """Deterministically hold out `fraction` of `files` (at least one) for validation."""
    if not 0 < fraction < 1:
        raise ValueError(f"--val-fraction must be between 0 and 1, got {fraction}")
    shuffled = list(files)
    random.Random(seed).shuffle(shuffled)
    count = max(1, int(round(len(shuffled) * fraction)))
    return sorted(shuffled[count:]), sorted(shuffled[:count])


def _random_crop_box(width: int, height: int, generator: torch.Generator) -> tuple[int, int, int, int]:
    """RandomResizedCrop's box sampling, driven by an explicit generator."""
    area = width * height
    for _ in range(10):
        target = area * (CROP_SCALE[0] + (CROP_SCALE[1] - CROP_SCALE[0]) * torch.rand(1, generator=generator).item())
        log_ratio = (math.log(CROP_RATIO[0]), math.log(CROP_RATIO[1]))
        ratio = math.exp(log_ratio[0] + (log_ratio[1] - log_ratio[0]) * torch.rand(1, generator=generator).item())
        crop_w = int(round(math.sqrt(target * ratio)))
        crop_h = int(round(math.sqrt(target / ratio)))
        if 0 < crop_w <= width and 0 < crop_h <= height:
            left = int(torch.randint(0, width - crop_w + 1, (1,), generator=generator))
            top = int(torch.randint(0, height - crop_h + 1, (1,), generator=generator))
            return left, top, left + crop_w, top + crop_h
    side = min(width, height)  # fallback: central square
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def center_crop_box(width: int, height: int) -> tuple[int, int, int, int]:
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def load_rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


class PhotoDataset(Dataset):
    """RGB crops as uint8 tensors (3, size, size).

    train=True: random resized crop + horizontal flip; train=False: centre crop.
    Call `set_epoch` before each epoch so augmentation differs per epoch yet stays reproducible.
    """

    def __init__(self, files: list[Path], image_size: int, train: bool, seed: int = 0) -> None:
        self.files = list(files)
        self.image_size = image_size
        self.train = train
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> torch.Tensor:
        image = load_rgb(self.files[index])
        size = self.image_size
        if self.train:
            generator = torch.Generator().manual_seed(hash((self.seed, self.epoch, index)) & 0x7FFFFFFF)
            box = _random_crop_box(*image.size, generator)
            image = image.resize((size, size), Image.Resampling.BILINEAR, box=box, reducing_gap=3.0)
            if torch.rand(1, generator=generator).item() < 0.5:
                image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        else:
            image = image.resize(
                (size, size), Image.Resampling.BILINEAR, box=center_crop_box(*image.size), reducing_gap=3.0
            )
        return torch.from_numpy(np.array(image)).permute(2, 0, 1).contiguous()
