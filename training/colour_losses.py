"""Colour-aware terms for the generator's objective (both off by default).

L1 towards the true ab is minimised by the median colour, and where a grey car may
as well be red or blue that median is grey-brown: the model hedges. Two remedies
from the literature, each a flag:

- **Class-rebalanced L1** (`--rebalanced-l1`), after Zhang, Isola & Efros 2016
  ("Colorful Image Colorization", section 2.2). Each pixel's L1 is weighted by how
  rare its true colour is: ab is quantised into 10x10 bins, the empirical
  distribution p of the bins over the training photos is smoothed with a Gaussian
  (sigma 5 in ab units), mixed with a uniform distribution over the Q bins that
  occur, and w = ((1 - lambda) p + lambda / Q)^-1 with lambda = 1/2, normalised so
  that the expected weight under p is 1. Zhang et al. weight a classification loss
  over the bins; the generator here regresses ab, so the weights go on its L1.
- **Colourfulness loss** (`--colourfulness-weight W`), DDColor's (Kang et al. 2023,
  "DDColor: Towards Photo-Realistic Image Colorization via Dual Decoders", their
  `ColorfulnessLoss`): W x (1 - C), C the Hasler & Suesstrunk colourfulness of the
  predicted sRGB in [0, 1] (from |R - G| and |(R + G) / 2 - B|), per image, averaged.
  It sits beside L1 (L1 + W x colourfulness loss), so the adversarial phase's lambda
  scales both and W means the same in both phases.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F

from model.lab import DEFAULT_NORMALIZATION, rgb_to_lab

AB_BIN = 10.0  # ab units per bin side (Zhang et al.)
AB_RANGE = 110.0  # bins cover [-110, 110] in a and b
AB_BINS = int(2 * AB_RANGE / AB_BIN)  # 22 per axis
PRIOR_SIGMA = 5.0  # Gaussian smoothing of the empirical distribution, in ab units
UNIFORM_MIX = 0.5  # lambda


def ab_bin_index(ab_units: torch.Tensor) -> torch.Tensor:
    """Flat bin index (a_bin * AB_BINS + b_bin) of ab in Lab units, (B, 2, H, W) -> (B, H, W)."""
    bins = ((ab_units + AB_RANGE) / AB_BIN).floor().long().clamp_(0, AB_BINS - 1)
    return bins[:, 0] * AB_BINS + bins[:, 1]


def ab_histogram(rgb_batches: Iterable[torch.Tensor]) -> torch.Tensor:
    """Counts of ab bins (AB_BINS * AB_BINS,) over sRGB batches in [0, 1] (or uint8)."""
    counts = torch.zeros(AB_BINS * AB_BINS, dtype=torch.float64)
    for rgb in rgb_batches:
        rgb = rgb.float() / 255.0 if rgb.dtype == torch.uint8 else rgb.float()
        ab = rgb_to_lab(rgb)[:, 1:]
        counts += torch.bincount(ab_bin_index(ab).flatten(), minlength=AB_BINS * AB_BINS).double().cpu()
    return counts


def rebalancing_weights(counts: torch.Tensor) -> torch.Tensor:
    """Zhang et al.'s per-bin weights from bin counts: (AB_BINS * AB_BINS,) float32, E_p[w] = 1."""
    if counts.sum() <= 0:
        raise ValueError("no pixels to estimate the ab distribution from")
    probability = (counts / counts.sum()).view(1, 1, AB_BINS, AB_BINS)
    radius = 2
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float64) * AB_BIN
    gaussian = torch.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * PRIOR_SIGMA**2))
    smoothed = F.conv2d(probability, (gaussian / gaussian.sum())[None, None], padding=radius).flatten()
    occurring = counts > 0
    smoothed = torch.where(occurring, smoothed, torch.zeros_like(smoothed))
    smoothed = smoothed / smoothed.sum()
    q = int(occurring.sum())
    weights = 1.0 / ((1 - UNIFORM_MIX) * smoothed + UNIFORM_MIX / q)
    weights = weights / (smoothed * weights).sum()
    # A bin that never occurred in the sample gets the rarest occurring bin's weight.
    weights = torch.where(occurring, weights, weights[occurring].max())
    return weights.float()


def l1_per_image(fake: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Mean L1 over ab and pixels per image, (B,); each pixel weighted by its true colour's bin weight if given."""
    difference = (fake - target).abs().mean(dim=1)  # (B, H, W)
    if weights is not None:
        bins = ab_bin_index(DEFAULT_NORMALIZATION.denormalize_ab(target.float()))
        difference = difference * weights.to(difference.device)[bins]
    return difference.flatten(1).mean(dim=1)


def l1_loss(fake: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """The batch's (rebalanced) L1; with no weights exactly F.l1_loss."""
    if weights is None:
        return F.l1_loss(fake, target)
    return l1_per_image(fake, target, weights).mean()


def colourfulness_loss(rgb: torch.Tensor) -> torch.Tensor:
    """DDColor's colourfulness loss of sRGB in [0, 1], (B, 3, H, W): mean of 1 - C over the batch."""
    red, green, blue = rgb.float().unbind(dim=1)
    rg = (red - green).abs().flatten(1)
    yb = (0.5 * (red + green) - blue).abs().flatten(1)
    # The epsilon keeps the square roots differentiable on a grey image.
    spread = torch.sqrt(rg.std(dim=1).square() + yb.std(dim=1).square() + 1e-8)
    mean = torch.sqrt(rg.mean(dim=1).square() + yb.mean(dim=1).square() + 1e-8)
    return (1.0 - (spread + 0.3 * mean)).mean()
