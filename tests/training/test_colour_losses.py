"""Colour terms (training.colour_losses): ab-bin rebalancing, weighted L1, colourfulness."""

import pytest
import torch
import torch.nn.functional as F

from model.lab import DEFAULT_NORMALIZATION
from training.colour_losses import (
    AB_BINS,
    ab_bin_index,
    ab_histogram,
    colourfulness_loss,
    l1_loss,
    l1_per_image,
    rebalancing_weights,
)


def test_rebalancing_weights_average_to_one_and_favour_rare_colours():
    counts = torch.zeros(AB_BINS * AB_BINS, dtype=torch.float64)
    grey = int(ab_bin_index(torch.zeros(1, 2, 1, 1)).item())
    red = int(ab_bin_index(torch.tensor([60.0, 40.0]).view(1, 2, 1, 1)).item())
    counts[grey], counts[red] = 9000, 100
    counts[grey + 1] = 900
    weights = rebalancing_weights(counts)
    probability = counts / counts.sum()
    # Expected weight under the (unsmoothed) distribution stays near 1; the smoothing moves it a little.
    assert (probability * weights.double()).sum().item() == pytest.approx(1.0, rel=0.1)
    assert weights[red] > 3 * weights[grey] and weights[grey + 1] > weights[grey]
    assert weights.min() > 0 and torch.isfinite(weights).all()
    with pytest.raises(ValueError):
        rebalancing_weights(torch.zeros(AB_BINS * AB_BINS))


def test_histogram_counts_every_pixel_in_its_bin():
    rgb = torch.zeros(2, 3, 4, 4)
    rgb[:, 0] = 1.0  # pure red: a* about 80, b* about 67
    counts = ab_histogram([rgb, (rgb * 255).to(torch.uint8)])
    assert counts.sum() == 64 and (counts > 0).sum() == 1


def test_uniform_weights_give_plain_l1_and_rare_pixels_count_more():
    fake, target = torch.rand(2, 2, 8, 8) * 2 - 1, torch.rand(2, 2, 8, 8) * 2 - 1
    torch.testing.assert_close(l1_loss(fake, target), F.l1_loss(fake, target))
    torch.testing.assert_close(l1_loss(fake, target, torch.ones(AB_BINS * AB_BINS)), F.l1_loss(fake, target))
    weights = torch.ones(AB_BINS * AB_BINS)
    target = torch.zeros(1, 2, 2, 2)
    target[0, :, 0, 0] = DEFAULT_NORMALIZATION.normalize_ab(torch.tensor([60.0, 40.0]))
    weights[ab_bin_index(DEFAULT_NORMALIZATION.denormalize_ab(target))[0, 0, 0]] = 10.0
    error_at_rare = torch.zeros_like(target)
    error_at_rare[0, :, 0, 0] += 0.1
    error_elsewhere = torch.zeros_like(target)
    error_elsewhere[0, :, 1, 1] += 0.1
    rare = l1_per_image(target + error_at_rare, target, weights)
    common = l1_per_image(target + error_elsewhere, target, weights)
    torch.testing.assert_close(rare, 10 * common)


def test_colourfulness_loss_is_lower_for_colourful_images_and_differentiable_on_grey():
    grey = torch.full((2, 3, 8, 8), 0.5, requires_grad=True)
    colourful = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    assert colourfulness_loss(colourful) < colourfulness_loss(grey.detach())
    colourfulness_loss(grey).backward()
    assert grey.grad is not None and torch.isfinite(grey.grad).all()
    assert colourfulness_loss(grey.detach()).item() == pytest.approx(1.0, abs=1e-3)
