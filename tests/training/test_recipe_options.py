"""The v2 recipe's building blocks: colour terms, EMA, the learning-rate schedule, device-side metric sums."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

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
from training.config import TrainConfig
from training.ema import WeightEMA
from training.hints import HintSimulation, simulate_hints, step_generator
from training.steps import MetricSums


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


def test_ema_follows_the_swa_utils_rule_and_copies_counters():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    ema = WeightEMA(model, decay=0.9)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(1.0)
    model(torch.rand(4, 1, 5, 5))  # BatchNorm buffers move, num_batches_tracked counts
    ema.update(model)
    for key, value in model.state_dict().items():
        averaged = ema.state_dict()[key]
        if value.is_floating_point():
            torch.testing.assert_close(averaged, 0.9 * start[key] + 0.1 * value)
        else:
            assert torch.equal(averaged, value)
    assert not ema.module.training and not any(p.requires_grad for p in ema.module.parameters())
    with pytest.raises(ValueError):
        WeightEMA(model, decay=1.0)


def test_gan_learning_rate_factor_is_pix2pix_linear_decay_per_step():
    config = TrainConfig(data_dir="", out_dir="", gan_lr_decay_start=0.5)
    factors = [config.gan_lr_factor(step, 10) for step in range(10)]
    assert factors[:5] == [1.0] * 5
    assert factors[5:] == pytest.approx([5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6])
    default = TrainConfig(data_dir="", out_dir="")
    assert {default.gan_lr_factor(step, 10) for step in range(10)} == {1.0}
    assert TrainConfig(data_dir="", out_dir="", gan_lr_decay_start=0.0).gan_lr_factor(0, 4) == pytest.approx(0.8)
    for bad in ({"ema_decay": 1.0}, {"gan_lr_decay_start": 1.5}, {"colourfulness_weight": -1}, {"compile_mode": "fast"},
                {"save_every": 0}):
        with pytest.raises(ValueError):
            TrainConfig(data_dir="", out_dir="", **bad)


def test_metric_sums_keep_tensors_on_their_device_until_the_epoch_ends():
    sums = MetricSums()
    sums.add("psnr", torch.tensor([20.0, 22.0]), 2)
    sums.add("l1", torch.tensor(0.5), 2)
    sums.add("lr", 0.1, 2)
    sums.count += 2
    sums.add("psnr", torch.tensor([24.0]), 1)
    sums.add("l1", torch.tensor(0.2), 1)
    sums.add("lr", 0.1, 1)
    sums.count += 1
    assert isinstance(sums.sums["psnr"], torch.Tensor) and isinstance(sums.sums["l1"], torch.Tensor)
    assert sums.means() == pytest.approx({"psnr": 22.0, "l1": 0.4, "lr": 0.1})
    restored = MetricSums.from_state(sums.state())
    assert restored.means() == pytest.approx(sums.means())
    assert sums.packed(["l1", "psnr"], torch.device("cpu")).tolist() == pytest.approx([1.2, 66.0, 3.0])


def _reference_planes(ab, tops, lefts, sides, counts):
    """One hint at a time, in order, as the serving path paints them."""
    planes = torch.zeros(ab.shape[0], 3, *ab.shape[2:])
    for image in range(ab.shape[0]):
        for slot in range(int(counts[image])):
            top, left, side = int(tops[image, slot]), int(lefts[image, slot]), int(sides[image, slot])
            patch = ab[image, :, top : top + side, left : left + side]
            planes[image, :2, top : top + side, left : left + side] = patch.mean(dim=(1, 2))[:, None, None]
            planes[image, 2, top : top + side, left : left + side] = 1
    return planes


def test_simulated_hints_match_painting_them_one_by_one_overlaps_included():
    ab = torch.rand(5, 2, 12, 14) * 2 - 1
    simulation = HintSimulation(none_share=0.2, mean_count=6.0, min_patch=1, max_patch=6)
    counts = torch.tensor([0, 1, 5, 12, 30])  # many hints on a small image: overlaps
    planes = simulate_hints(ab, simulation, step_generator(2, 9), counts=counts)
    # Repeat the draws simulate_hints makes from the same generator.
    generator = step_generator(2, 9)
    slots = int(counts.max())
    sides = torch.randint(1, 7, (5, slots), generator=generator).clamp(max=12)
    tops = (torch.rand(5, slots, generator=generator) * (12 - sides + 1)).long()
    lefts = (torch.rand(5, slots, generator=generator) * (14 - sides + 1)).long()
    torch.testing.assert_close(planes, _reference_planes(ab, tops, lefts, sides, counts))


def test_the_colour_terms_enter_the_generator_objective_of_both_phases():
    from training.colour_losses import colourfulness_loss as loss_of
    from training.steps import split_lab, to_rgb, train_step
    from training.throughput import v2_nets

    torch.manual_seed(0)
    batch = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    for phase in (1, 2):
        nets = v2_nets(torch.device("cpu"), None, decoder_channels=[16, 16, 16, 8, 8])
        nets.colourfulness_weight = 0.5
        nets.generator.eval()  # the same prediction inside the step and here (BatchNorm statistics)
        _, lightness, _ = split_lab(batch, nets)
        with torch.no_grad():
            planes = torch.zeros(2, 3, 32, 32)
            expected = loss_of(to_rgb(lightness, nets.generator(torch.cat([lightness, planes], dim=1)))).item()
        nets.hints = HintSimulation(none_share=1.0)  # no hints: the prediction matches the one above
        sums = MetricSums()
        train_step(batch, nets, phase, 10.0, sums)
        means = sums.means()
        lambda_l1 = 1.0 if phase == 1 else 10.0
        extra = means["g_total"] - lambda_l1 * means["l1"] - means.get("g_gan", 0.0)
        assert extra == pytest.approx(lambda_l1 * 0.5 * expected, rel=1e-4)


def test_trainer_options_reach_the_step(photo_folders, tmp_path):
    from tests.training.test_training_runs import tiny_config
    from training.trainer import Trainer

    train_dir, val_dir = photo_folders
    config = tiny_config(train_dir, val_dir, tmp_path / "run", rebalanced_l1=True, colourfulness_weight=0.25,
                         data_on_device=True, hints=True)
    trainer = Trainer(config)
    ab_weights = trainer.nets.ab_weights
    assert ab_weights is not None and ab_weights.shape == (AB_BINS * AB_BINS,)
    assert trainer.nets.colourfulness_weight == 0.25
    assert ab_weights.min() > 0 and ab_weights.max() > 1
    assert trainer.nets.ema is None  # the average starts with the adversarial phase
    plain = Trainer(tiny_config(train_dir, val_dir, tmp_path / "plain"))
    assert plain.nets.ab_weights is None and plain.nets.colourfulness_weight == 0.0 and plain.nets.ema is None


def test_lab_constants_cross_to_an_accelerator_once():
    """A copy from host memory makes the host wait for the GPU: the colour conversions must not make one per step."""
    from model import lab

    like = torch.empty(1, 3, 2, 2, device="meta")
    first = lab._matrix(lab._XYZ_FROM_RGB, like)
    assert first.device.type == "meta" and first.dtype == like.dtype
    assert lab._matrix(lab._XYZ_FROM_RGB, like) is first
    assert lab._matrix(lab._XYZ_FROM_RGB[1], like) is lab._matrix(lab._XYZ_FROM_RGB[1], like)
    assert lab._matrix(lab._XYZ_FROM_RGB[1], like) is not first
    assert lab.rgb_to_lab(torch.rand(1, 3, 2, 2, device="meta")).shape == (1, 3, 2, 2)
