"""The training photos decoded once into device memory (uint8), augmented there in batches.

`--data-on-device` replaces the DataLoader: every usable photo is decoded once (a
thread pool; PIL releases the GIL while decoding), centre-cropped to a square and
resized to the training size, and the whole set lives on the training device as
uint8 (14k photos at 256 px are 2.7 GB). Each batch is a gather plus one
`grid_sample`: a random resized crop (the same scale and aspect ranges as
`training.data`) and a horizontal flip per image, in one affine transform.

Crops and flips are drawn for the whole epoch at its start from a CPU generator
seeded by (seed, epoch), one per photo, so a run is reproducible, a resumed run
sees exactly the same batches, and every rank of a DDP run draws the same ones.
The loader path (`training.data.PhotoDataset`) crops the whole photo; this one crops
its centre square, which is what `prepare-data` copies hold anyway.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from training.data import CROP_RATIO, CROP_SCALE, GRAYSCALE_CHROMA_THRESHOLD, _chroma_spread, center_crop_box

log = logging.getLogger(__name__)

# Boxes tried per photo before falling back to the whole square (torchvision's RandomResizedCrop does 10).
_CROP_TRIES = 10


@dataclass
class DecodedPhotos:
    """Usable photos as one uint8 array (N, size, size, 3), their files, and why others were skipped."""

    pixels: np.ndarray
    files: list[Path]
    skipped: Counter

    def describe(self) -> str:
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(self.skipped.items())) or "none"
        return f"{len(self.files)} usable, skipped: {reasons}"

    def subset(self, positions: list[int]) -> DecodedPhotos:
        return DecodedPhotos(self.pixels[positions], [self.files[p] for p in positions], Counter())


def _decode_one(path: Path, size: int, min_side: int) -> tuple[np.ndarray | None, str | None]:
    """The centre square of a photo at size x size (as `PhotoDataset` validates), or why it is unusable.

    The checks are `training.data.check_image`'s, on the one decode.
    """
    try:
        with Image.open(path) as image:
            if min(image.size) < min_side:
                return None, "too small"
            mode = image.mode
            rgb = image.convert("RGB")
            rgb.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None, "undecodable"
    if mode in ("L", "LA", "1", "I", "I;16") or _chroma_spread(rgb) < GRAYSCALE_CHROMA_THRESHOLD:
        return None, "grayscale"
    square = rgb.resize((size, size), Image.Resampling.BILINEAR, box=center_crop_box(*rgb.size), reducing_gap=3.0)
    return np.asarray(square), None


def decode_photos(
    files: list[Path], size: int, min_side: int, workers: int = 8, progress: bool = True
) -> DecodedPhotos:
    """Decode and check every file in parallel; keeps the files' order."""
    pixels = np.empty((len(files), size, size, 3), dtype=np.uint8)
    kept: list[int] = []
    skipped: Counter = Counter()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = pool.map(lambda path: _decode_one(path, size, min_side), files)
        for position, (array, reason) in enumerate(
            tqdm(results, total=len(files), desc="decode", unit="img", disable=not progress, leave=False)
        ):
            if reason is not None:
                skipped[reason] += 1
                continue
            pixels[len(kept)] = array
            kept.append(position)
    return DecodedPhotos(pixels[: len(kept)], [files[p] for p in kept], skipped)


def epoch_transforms(count: int, seed: int, epoch: int) -> torch.Tensor:
    """One affine transform (count, 2, 3) per photo for `grid_sample`: a random resized crop and flip.

    The crop takes a share of the square's area in CROP_SCALE and an aspect ratio
    (log-uniform) in CROP_RATIO, at a uniform position; a photo whose 10 tries all
    fall outside the square keeps the whole square. Half the photos are flipped.
    """
    generator = torch.Generator().manual_seed((seed * 1_000_003 + epoch) & 0x7FFF_FFFF_FFFF_FFFF)
    area = CROP_SCALE[0] + (CROP_SCALE[1] - CROP_SCALE[0]) * torch.rand(
        count, _CROP_TRIES, generator=generator, dtype=torch.float64
    )
    log_low, log_high = math.log(CROP_RATIO[0]), math.log(CROP_RATIO[1])
    ratio = torch.exp(
        log_low + (log_high - log_low) * torch.rand(count, _CROP_TRIES, generator=generator, dtype=torch.float64)
    )
    widths, heights = torch.sqrt(area * ratio), torch.sqrt(area / ratio)  # shares of the square's side
    fits = (widths <= 1) & (heights <= 1)
    first = torch.where(fits.any(dim=1), fits.double().argmax(dim=1), torch.full((count,), -1))
    chosen = first.clamp(min=0)[:, None]
    width = torch.where(first >= 0, widths.gather(1, chosen)[:, 0], torch.ones(count, dtype=torch.float64))
    height = torch.where(first >= 0, heights.gather(1, chosen)[:, 0], torch.ones(count, dtype=torch.float64))
    left = torch.rand(count, generator=generator, dtype=torch.float64) * (1 - width)
    top = torch.rand(count, generator=generator, dtype=torch.float64) * (1 - height)
    flip = torch.rand(count, generator=generator) < 0.5
    # grid_sample coordinates run from -1 to 1 across the square: the crop's centre and half-sides.
    theta = torch.zeros(count, 2, 3, dtype=torch.float64)
    theta[:, 0, 0] = torch.where(flip, -width, width)
    theta[:, 0, 2] = 2 * (left + width / 2) - 1
    theta[:, 1, 1] = height
    theta[:, 1, 2] = 2 * (top + height / 2) - 1
    return theta.float()


class DevicePhotos:
    """A decoded photo set on the training device, served as float RGB batches in [0, 1]."""

    def __init__(self, decoded: DecodedPhotos, device: torch.device, seed: int = 0) -> None:
        # (N, size, size, 3) as decoded; batches are permuted to (B, 3, size, size) views.
        self.pixels = torch.from_numpy(decoded.pixels).to(device)
        self.files = decoded.files
        self.device = device
        self.seed = seed
        self.size = decoded.pixels.shape[1]
        # The current epoch's random transforms, drawn once per epoch.
        self._epoch: int | None = None
        self._theta: torch.Tensor | None = None

    def __len__(self) -> int:
        return self.pixels.shape[0]

    def _transforms(self, epoch: int) -> torch.Tensor:
        if self._epoch != epoch:
            self._theta = epoch_transforms(len(self), self.seed, epoch).to(self.device)
            self._epoch = epoch
        assert self._theta is not None
        return self._theta

    def gather(self, indices: torch.Tensor) -> torch.Tensor:
        """The photos at `indices` (on the device), uncropped: (B, 3, size, size) float in [0, 1]."""
        return self.pixels.index_select(0, indices).permute(0, 3, 1, 2).float().div_(255.0)

    def augmented(self, indices: torch.Tensor, epoch: int) -> torch.Tensor:
        """This epoch's random resized crops and flips of the photos at `indices` (on the device)."""
        images = self.gather(indices)
        theta = self._transforms(epoch).index_select(0, indices)
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def device_batches(indices: list[int], batch_size: int, device: torch.device) -> list[torch.Tensor]:
    """Split an epoch's photo indices into whole batches of device index tensors (one transfer)."""
    usable = len(indices) // batch_size * batch_size
    if usable == 0:
        return []
    on_device = torch.tensor(indices[:usable], dtype=torch.long).to(device)
    return list(on_device.view(-1, batch_size).unbind(0))


def chunked(indices: list[int], batch_size: int, device: torch.device) -> list[torch.Tensor]:
    """Split indices into batches, the last one possibly smaller (validation)."""
    if not indices:
        return []
    on_device = torch.tensor(indices, dtype=torch.long).to(device)
    return list(on_device.split(batch_size))
