"""Simulated colour hints for training, as in Zhang et al. 2017 (user-guided colorization).

Per image: a random number of hints (a share of images gets none, the rest a geometric
count), each at a uniformly random position, each a square patch of random side whose
value is the mean ground-truth ab inside it. The result is the generator's hint planes
(normalised a, b and a mask; `model.hints` paints the same planes from user hints at
serving time). Built batched on the training device from a generator seeded per step,
so a resumed run draws exactly the same hints.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

import numpy as np

from model.generator import input_convolutions
from model.hints import HINT_PATCH_SIZE, HINT_PLANES, MAX_HINTS, Hint
from model.lab import lab_to_rgb, rgb_to_lab

# Validation with hints gives every image this many (metric `psnr_hints10`).
VALIDATION_HINTS = 10
HINTED_PSNR_METRIC = f"psnr_hints{VALIDATION_HINTS}"


@dataclass(frozen=True)
class HintSimulation:
    """How many hints an image gets, and how big they are."""

    none_share: float = 0.3  # images trained without hints: keeps the automatic mode sharp
    mean_count: float = 8.0  # mean count of the geometric distribution for the others (>= 1)
    min_patch: int = 1  # patch sides, drawn uniformly in [min_patch, max_patch]
    max_patch: int = 9
    max_count: int = MAX_HINTS

    def __post_init__(self) -> None:
        if not 0.0 <= self.none_share <= 1.0:
            raise ValueError(f"hint none_share must be in [0, 1], got {self.none_share}")
        if self.mean_count < 1.0:
            raise ValueError(f"hint mean_count must be at least 1, got {self.mean_count}")
        if not 1 <= self.min_patch <= self.max_patch:
            raise ValueError(f"hint patch sides must satisfy 1 <= min <= max, got {self.min_patch}, {self.max_patch}")


def sample_counts(batch: int, simulation: HintSimulation, generator: torch.Generator) -> torch.Tensor:
    """(batch,) hint counts: 0 with probability none_share, else geometric on 1, 2, ... with the given mean."""
    success = 1.0 / simulation.mean_count
    uniform = torch.rand(batch, generator=generator, dtype=torch.float64).clamp_min(1e-12)
    # Inverse CDF of the geometric distribution on {1, 2, ...}.
    geometric = torch.floor(torch.log(uniform) / torch.log1p(torch.tensor(-success, dtype=torch.float64))) + 1
    if success >= 1.0:
        geometric = torch.ones_like(geometric)
    none = torch.rand(batch, generator=generator) < simulation.none_share
    counts = torch.where(none, torch.zeros_like(geometric), geometric)
    return counts.clamp_(max=simulation.max_count).long()


def _box_means(ab: torch.Tensor, side: int) -> torch.Tensor:
    """Mean of ab over the side x side box starting at each pixel (cut at the borders),
    via an integral image: (B, 2, H, W)."""
    padded = F.pad(ab, (1, 0, 1, 0))
    integral = padded.cumsum(-1).cumsum(-2)
    height, width = ab.shape[-2:]
    rows = torch.arange(height, device=ab.device)
    columns = torch.arange(width, device=ab.device)
    bottom = (rows + side).clamp(max=height)
    right = (columns + side).clamp(max=width)
    total = (
        integral[..., bottom[:, None], right[None, :]]
        - integral[..., rows[:, None], right[None, :]]
        - integral[..., bottom[:, None], columns[None, :]]
        + integral[..., rows[:, None], columns[None, :]]
    )
    area = ((bottom - rows)[:, None] * (right - columns)[None, :]).to(ab.dtype)
    return total / area


def simulate_hints(
    ab: torch.Tensor, simulation: HintSimulation, generator: torch.Generator, counts: torch.Tensor | None = None
) -> torch.Tensor:
    """Hint planes (B, 3, H, W) for a batch of normalised ground-truth ab (B, 2, H, W).

    `generator` (CPU) draws counts (unless `counts` gives them), positions and patch
    sides; values come from `ab`. Later hints overwrite earlier ones where patches
    overlap, as at serving time.
    """
    batch, _, height, width = ab.shape
    if counts is None:
        counts = sample_counts(batch, simulation, generator)
    slots = int(counts.max()) if batch else 0
    planes = torch.zeros(batch, HINT_PLANES, height, width, device=ab.device, dtype=ab.dtype)
    if slots == 0:
        return planes
    sides = torch.randint(simulation.min_patch, simulation.max_patch + 1, (batch, slots), generator=generator)
    sides = torch.minimum(sides, torch.tensor(min(height, width)))
    tops = (torch.rand(batch, slots, generator=generator) * (height - sides + 1)).long()
    lefts = (torch.rand(batch, slots, generator=generator) * (width - sides + 1)).long()
    active = torch.arange(slots)[None, :] < counts[:, None]
    values = torch.zeros(batch, slots, 2, device=ab.device, dtype=ab.dtype)
    for side in torch.unique(sides[active]).tolist():
        chosen = active & (sides == side)
        if not chosen.any():
            continue
        means = _box_means(ab, side)  # (B, 2, H, W)
        b_index, k_index = chosen.nonzero(as_tuple=True)
        picked = means[b_index.to(ab.device), :, tops[chosen].to(ab.device), lefts[chosen].to(ab.device)]
        values[b_index.to(ab.device), k_index.to(ab.device)] = picked
    rows = torch.arange(height, device=ab.device)
    columns = torch.arange(width, device=ab.device)
    tops, lefts, sides, active = (t.to(ab.device) for t in (tops, lefts, sides, active))
    for slot in range(slots):
        inside_rows = (rows[None, :] >= tops[:, slot, None]) & (rows[None, :] < (tops + sides)[:, slot, None])
        inside_columns = (columns[None, :] >= lefts[:, slot, None]) & (columns[None, :] < (lefts + sides)[:, slot, None])
        cover = inside_rows[:, :, None] & inside_columns[:, None, :] & active[:, slot, None, None]  # (B, H, W)
        cover = cover[:, None]
        planes[:, 0:2] = torch.where(cover, values[:, slot, :, None, None], planes[:, 0:2])
        planes[:, 2:3] = torch.where(cover, torch.ones_like(planes[:, 2:3]), planes[:, 2:3])
    return planes


def step_generator(seed: int, step: int) -> torch.Generator:
    """A CPU generator for one training step's hints: the same (seed, step) draws the same hints."""
    return torch.Generator().manual_seed((seed * 1_000_003 + step) & 0x7FFF_FFFF_FFFF_FFFF)


def scale_hint_input_updates(optimizer: torch.optim.Optimizer, generator: torch.nn.Module, scale: float) -> None:
    """Multiply every optimizer step's update of the weights that read the hint planes by `scale`.

    Those weights start at zero when a model learns hints by fine-tuning; Adam moves each
    weight by about the learning rate per step whatever its gradient's size, so they need
    a larger step than the pretrained weights around them, which a larger rate would upset.
    Parameter groups cannot hold part of a tensor, hence the step hooks.
    """
    parameters = dict(generator.named_parameters())
    targets = []
    for name, first in input_convolutions(generator.config):
        # Hint planes are the input channels after L.
        targets.append((parameters[name], slice(first + 1, first + generator.config.in_channels)))
    saved: list[torch.Tensor] = []

    def before_step(*_) -> None:
        saved[:] = [parameter.detach()[:, channels].clone() for parameter, channels in targets]

    def after_step(*_) -> None:
        with torch.no_grad():
            for (parameter, channels), old in zip(targets, saved):
                part = parameter[:, channels]
                parameter[:, channels] = old + (part - old) * scale

    optimizer.register_step_pre_hook(before_step)
    optimizer.register_step_post_hook(after_step)


def hints_from_truth(rgb: np.ndarray, count: int, rng: np.random.Generator, render_size: int) -> list[Hint]:
    """`count` hints a user could have given, read off a colour photo (H, W, 3 uint8).

    Each sits at a uniformly random pixel; its colour is the photo's mean Lab over the
    patch a hint covers at this render size, back in 8-bit sRGB (what a colour picker
    on the true photo would give).
    """
    height, width = rgb.shape[:2]
    lab = rgb_to_lab(torch.from_numpy(np.array(rgb)).permute(2, 0, 1).double() / 255.0)  # a writable copy
    half = max(0, int(round(HINT_PATCH_SIZE * min(height, width) / render_size / 2)))
    hints = []
    for _ in range(count):
        row, column = int(rng.integers(0, height)), int(rng.integers(0, width))
        patch = lab[:, max(0, row - half) : row + half + 1, max(0, column - half) : column + half + 1]
        mean = patch.mean(dim=(1, 2)).view(3, 1, 1)
        color = (lab_to_rgb(mean).view(3) * 255.0).round().to(torch.uint8).tolist()
        hints.append(Hint((column + 0.5) / width, (row + 0.5) / height, tuple(color)))
    return hints
