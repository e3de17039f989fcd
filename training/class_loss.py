"""The classification term over a*b* bins (Zhang, Isola & Efros 2016, section 2.1-2.2).

The generator's classification head (`model.generator`, `--class-weight`) predicts a
distribution over the in-gamut a*b* bins (`model.colour_classes`) at 1/4 resolution. It
learns from:

- **soft-encoded targets**: each pixel's true a*b* (averaged over its 4x4 cell) spread
  over its `SOFT_NEIGHBOURS` nearest bin centres with Gaussian weights (sigma
  `SOFT_SIGMA` a*b* units), so neighbouring bins are not counted as plain wrong;
- **class rebalancing**: each pixel's cross-entropy weighted by the rarity of its
  nearest bin, w = ((1 - lambda) p + lambda / Q)^-1 normalised so that E_p[w] = 1,
  with p the training photos' bin distribution smoothed by a Gaussian (sigma
  `PRIOR_SIGMA`) and lambda = `UNIFORM_MIX`. Without it the desaturated bins,
  which cover most pixels, dominate the loss.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F

from model.colour_classes import ab_bin_centres
from model.lab import DEFAULT_NORMALIZATION, rgb_to_lab

SOFT_NEIGHBOURS = 5
SOFT_SIGMA = 5.0
PRIOR_SIGMA = 5.0
UNIFORM_MIX = 0.5


def _centres(device: torch.device) -> torch.Tensor:
    return torch.from_numpy(ab_bin_centres()).to(device)


def _squared_distances(ab_units: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """(B, 2, h, w) ab in Lab units -> (B, h, w, Q) squared distances to the bin centres."""
    points = ab_units.float().permute(0, 2, 3, 1)
    return (points[..., None, :] - centres).square().sum(dim=-1)


def nearest_bins(ab_units: torch.Tensor) -> torch.Tensor:
    """The nearest bin of each pixel, (B, 2, h, w) Lab units -> (B, h, w) long."""
    return _squared_distances(ab_units, _centres(ab_units.device)).argmin(dim=-1)


def soft_encode(ab_units: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Soft targets: (bin indices, weights), each (B, h, w, SOFT_NEIGHBOURS); weights sum to 1."""
    distances = _squared_distances(ab_units, _centres(ab_units.device))
    nearest, indices = distances.topk(SOFT_NEIGHBOURS, dim=-1, largest=False)
    weights = torch.softmax(-nearest / (2 * SOFT_SIGMA**2), dim=-1)
    return indices, weights


def bin_histogram(rgb_batches: Iterable[torch.Tensor]) -> torch.Tensor:
    """Counts of each pixel's nearest bin (Q,) over sRGB batches in [0, 1] (or uint8)."""
    count = len(ab_bin_centres())
    counts = torch.zeros(count, dtype=torch.float64)
    for rgb in rgb_batches:
        rgb = rgb.float() / 255.0 if rgb.dtype == torch.uint8 else rgb.float()
        bins = nearest_bins(rgb_to_lab(rgb)[:, 1:])
        counts += torch.bincount(bins.flatten(), minlength=count).double().cpu()
    return counts


def class_rebalancing_weights(counts: torch.Tensor) -> torch.Tensor:
    """Per-bin weights (Q,) float32 from bin counts, E_p[w] = 1 under the smoothed prior p."""
    if counts.sum() <= 0:
        raise ValueError("no pixels to estimate the a*b* bin distribution from")
    centres = torch.from_numpy(ab_bin_centres()).double()
    kernel = torch.exp(-torch.cdist(centres, centres).square() / (2 * PRIOR_SIGMA**2))
    prior = kernel @ (counts / counts.sum())
    prior = prior / prior.sum()
    weights = 1.0 / ((1 - UNIFORM_MIX) * prior + UNIFORM_MIX / len(prior))
    return (weights / (prior * weights).sum()).float()


def class_targets(ab: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Normalised ab (B, 2, H, W) -> its Lab-unit average over each cell of a (h, w) grid."""
    return DEFAULT_NORMALIZATION.denormalize_ab(F.adaptive_avg_pool2d(ab.float(), size))


def class_loss_per_image(logits: torch.Tensor, ab: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    """Rebalanced cross-entropy against the soft-encoded truth, mean over cells, (B,).

    logits: (B, Q, h, w); ab: the normalised truth at full resolution, (B, 2, H, W).
    """
    cells = class_targets(ab, (logits.shape[-2], logits.shape[-1]))
    indices, soft = soft_encode(cells)
    log_probabilities = torch.log_softmax(logits.float(), dim=1).permute(0, 2, 3, 1)  # (B, h, w, Q)
    loss = -(log_probabilities.gather(-1, indices) * soft).sum(dim=-1)  # (B, h, w)
    if weights is not None:
        loss = loss * weights.to(loss.device)[indices[..., 0]]
    return loss.flatten(1).mean(dim=1)


def class_loss(logits: torch.Tensor, ab: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    """The batch mean of `class_loss_per_image`."""
    return class_loss_per_image(logits, ab, weights).mean()
