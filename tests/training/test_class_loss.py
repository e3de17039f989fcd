"""The classification term (training.class_loss): soft targets, rebalancing, the loss, the step."""

import numpy as np
import pytest
import torch

from model.colour_classes import ab_bin_centres, colour_class_count
from training.class_loss import (
    SOFT_NEIGHBOURS,
    class_loss,
    class_loss_per_image,
    class_rebalancing_weights,
    nearest_bins,
    soft_encode,
)


def _ab_field(a: float, b: float, size: int = 8) -> torch.Tensor:
    return torch.tensor([a, b]).view(1, 2, 1, 1).expand(1, 2, size, size).clone()


def test_a_bin_centre_is_its_own_nearest_bin_and_soft_targets_sum_to_one():
    centres = ab_bin_centres()
    for index in (0, len(centres) // 2, len(centres) - 1):
        a, b = centres[index]
        assert int(nearest_bins(_ab_field(a, b))[0, 0, 0]) == index
        indices, weights = soft_encode(_ab_field(a + 2.0, b - 1.0))
        assert indices.shape[-1] == weights.shape[-1] == SOFT_NEIGHBOURS
        assert float(weights.sum(dim=-1).min()) == pytest.approx(1.0)
        assert int(indices[0, 0, 0, 0]) == index  # the nearest bin weighs most
        assert float(weights[0, 0, 0, 0]) == float(weights[0, 0, 0].max())


def test_rebalancing_favours_rare_colours_and_averages_one_under_the_prior():
    counts = torch.zeros(colour_class_count(), dtype=torch.float64)
    grey = int(np.argmin(np.abs(ab_bin_centres()).sum(axis=1)))
    counts[grey] = 1000.0
    counts[0] = 1.0
    weights = class_rebalancing_weights(counts)
    assert weights[grey] < 1.0 < weights[0]
    # Every colour equally common: nothing to rebalance.
    even = class_rebalancing_weights(torch.ones(colour_class_count(), dtype=torch.float64))
    assert float(even.min()) == pytest.approx(float(even.max()), rel=0.5)
    assert float(even.mean()) == pytest.approx(1.0, rel=0.1)
    with pytest.raises(ValueError):
        class_rebalancing_weights(torch.zeros(colour_class_count()))


def test_the_loss_is_lower_for_logits_on_the_true_colour():
    centres = ab_bin_centres()
    index = len(centres) // 3
    truth = (
        _ab_field(float(centres[index, 0]), float(centres[index, 1]), size=16) / 110.0
    )  # normalised, like the network's ab
    right = torch.zeros(1, len(centres), 4, 4)
    right[:, index] = 10.0
    wrong = torch.zeros(1, len(centres), 4, 4)
    wrong[:, (index + 40) % len(centres)] = 10.0
    assert class_loss(right, truth, None) < class_loss(wrong, truth, None)
    weights = torch.full((len(centres),), 2.0)
    assert class_loss_per_image(wrong, truth, weights) == pytest.approx(2 * class_loss_per_image(wrong, truth, None))


def test_a_step_with_both_heads_trains_the_class_head_and_logs_its_loss():
    from model.generator import build_generator
    from training.config import TrainConfig
    from training.discriminator import PatchDiscriminator
    from training.nets import build_nets
    from training.steps import MetricSums, train_step

    torch.manual_seed(0)
    config = TrainConfig(data_dir="x", out_dir="x", decoder_channels=[16, 16, 16, 8, 8], class_weight=0.5)
    generator = build_generator(config.generator_config())
    assert generator.class_head is not None
    before = generator.class_head.weight.detach().clone()
    nets = build_nets(config, generator, PatchDiscriminator(), torch.device("cpu"), None)
    batch = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    for phase in (1, 2):
        sums = MetricSums()
        train_step(batch, nets, phase, 10.0, sums)
        means = sums.means()
        assert means["class"] > 0
        lambda_l1 = 1.0 if phase == 1 else 10.0
        pixel = means["g_total"] - means.get("g_gan", 0.0)
        assert pixel == pytest.approx(lambda_l1 * (means["l1"] + 0.5 * means["class"]), rel=1e-4)
    assert not torch.equal(before, generator.class_head.weight)


def test_config_checks_the_class_options():
    from training.config import TrainConfig

    assert TrainConfig(data_dir="x", out_dir="x").generator_config().colour_classes == 0
    assert TrainConfig(data_dir="x", out_dir="x", class_weight=0.02).generator_config().colour_classes > 0
    for name, value in (("class_weight", -1.0), ("class_temperature", 0.0), ("class_mix", 1.5)):
        with pytest.raises(ValueError, match=name.replace("_", "-")):
            TrainConfig.from_dict({"data_dir": "x", "out_dir": "x", name: value})
