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

import numpy as np
import torch
import torch.nn.functional as F

from model.generator import UNetGenerator, hint_input_weights
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


def _patch_means(ab: torch.Tensor, tops: torch.Tensor, lefts: torch.Tensor, sides: torch.Tensor) -> torch.Tensor:
    """Mean of ab over each hint's patch, (B, slots, 2), from an integral image (4 gathers per hint).

    float64 sums: a float32 integral image of a 256 x 256 plane loses ~1e-3 per patch.
    """
    integral = F.pad(ab.double(), (1, 0, 1, 0)).cumsum(-1).cumsum(-2).permute(0, 2, 3, 1)  # (B, H+1, W+1, 2)
    image = torch.arange(ab.shape[0], device=ab.device)[:, None]
    bottoms, rights = tops + sides, lefts + sides

    def corner(rows: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
        return integral[image, rows, columns]  # (B, slots, 2)

    total = corner(bottoms, rights) - corner(tops, rights) - corner(bottoms, lefts) + corner(tops, lefts)
    return (total / (sides * sides)[..., None]).to(ab.dtype)


def _paint(
    values: torch.Tensor,
    tops: torch.Tensor,
    lefts: torch.Tensor,
    sides: torch.Tensor,
    active: torch.Tensor,
    height: int,
    width: int,
    max_side: int,
) -> torch.Tensor:
    """Hint planes (B, 3, H, W): each active hint's value on its patch; where patches overlap, the later hint's.

    Every hint lists the pixels of a max_side x max_side square from its corner (those
    beyond its own side masked off); per pixel, the highest hint index covering it wins
    (a scatter with amax, whose result does not depend on the order of the writes).
    """
    batch, slots = tops.shape
    offsets = torch.arange(max_side, device=tops.device)
    inside = offsets < sides[..., None]  # (B, slots, P)
    rows, columns = tops[..., None] + offsets, lefts[..., None] + offsets
    pixels = (rows[..., :, None] * width + columns[..., None, :]).flatten(2)  # (B, slots, P * P)
    covered = (inside[..., :, None] & inside[..., None, :]).flatten(2) & active[..., None]
    slot_numbers = torch.arange(slots, device=tops.device)[None, :, None].expand_as(pixels)
    owner = torch.full((batch, height * width), -1, dtype=torch.long, device=tops.device)
    owner.scatter_reduce_(
        1, torch.where(covered, pixels, 0).flatten(1), torch.where(covered, slot_numbers, -1).flatten(1), reduce="amax"
    )
    hinted = owner >= 0
    painted = values.gather(1, owner.clamp(min=0)[..., None].expand(-1, -1, 2))  # (B, H*W, 2)
    painted = torch.where(hinted[..., None], painted, torch.zeros_like(painted))
    planes = torch.cat([painted, hinted[..., None].to(values.dtype)], dim=2)
    return planes.permute(0, 2, 1).reshape(batch, HINT_PLANES, height, width)


def simulate_hints(
    ab: torch.Tensor, simulation: HintSimulation, generator: torch.Generator, counts: torch.Tensor | None = None
) -> torch.Tensor:
    """Hint planes (B, 3, H, W) for a batch of normalised ground-truth ab (B, 2, H, W).

    `generator` (CPU) draws counts (unless `counts` gives them), positions and patch
    sides; values come from `ab`. Later hints overwrite earlier ones where patches
    overlap, as at serving time. The draws cross to the device as one small copy that
    does not wait for the GPU; the rest runs there without a loop over hints.
    """
    batch, _, height, width = ab.shape
    if counts is None:
        counts = sample_counts(batch, simulation, generator)
    slots = int(counts.max()) if batch else 0
    if slots == 0:
        return torch.zeros(batch, HINT_PLANES, height, width, device=ab.device, dtype=ab.dtype)
    sides = torch.randint(simulation.min_patch, simulation.max_patch + 1, (batch, slots), generator=generator)
    sides = torch.minimum(sides, torch.tensor(min(height, width)))
    tops = (torch.rand(batch, slots, generator=generator) * (height - sides + 1)).long()
    lefts = (torch.rand(batch, slots, generator=generator) * (width - sides + 1)).long()
    active = torch.arange(slots)[None, :] < counts[:, None]
    draws = torch.stack([tops, lefts, sides, active.long()])
    if ab.is_cuda:
        draws = draws.pin_memory()
    tops, lefts, sides, active = draws.to(ab.device, non_blocking=True).unbind(0)
    values = _patch_means(ab, tops, lefts, sides)
    return _paint(values, tops, lefts, sides, active.bool(), height, width, int(draws[2].max()))


def step_generator(seed: int, step: int) -> torch.Generator:
    """A CPU generator for one training step's hints: the same (seed, step) draws the same hints."""
    return torch.Generator().manual_seed((seed * 1_000_003 + step) & 0x7FFF_FFFF_FFFF_FFFF)


def scale_hint_input_updates(optimizer: torch.optim.Optimizer, generator: UNetGenerator, scale: float) -> None:
    """Multiply every optimizer step's update of the weights that read the hint planes by `scale`.

    Those weights start at zero when a model learns hints by fine-tuning; Adam moves each
    weight by about the learning rate per step whatever its gradient's size, so they need
    a larger step than the pretrained weights around them, which a larger rate would upset.
    Parameter groups cannot hold part of a tensor, hence the step hooks.
    """
    parameters = dict(generator.named_parameters())
    targets = [(parameters[name], channels) for name, channels in hint_input_weights(generator.config)]
    saved: list[torch.Tensor] = []

    def before_step(*_: object) -> None:
        saved[:] = [parameter.detach()[:, channels].clone() for parameter, channels in targets]

    def after_step(*_: object) -> None:
        with torch.no_grad():
            for (parameter, channels), old in zip(targets, saved, strict=False):
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
