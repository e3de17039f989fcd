"""The training configuration (training.config): the adversarial phase's learning-rate schedule."""

import pytest

from training.config import TrainConfig


def test_gan_learning_rate_factor_is_pix2pix_linear_decay_per_step():
    config = TrainConfig(data_dir="", out_dir="", gan_lr_decay_start=0.5)
    factors = [config.gan_lr_factor(step, 10) for step in range(10)]
    assert factors[:5] == [1.0] * 5
    assert factors[5:] == pytest.approx([5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6])
    default = TrainConfig(data_dir="", out_dir="")
    assert {default.gan_lr_factor(step, 10) for step in range(10)} == {1.0}
    assert TrainConfig(data_dir="", out_dir="", gan_lr_decay_start=0.0).gan_lr_factor(0, 4) == pytest.approx(0.8)
    for bad in (
        {"ema_decay": 1.0},
        {"gan_lr_decay_start": 1.5},
        {"colourfulness_weight": -1},
        {"compile_mode": "fast"},
        {"save_every": 0},
    ):
        with pytest.raises(ValueError):
            TrainConfig(data_dir="", out_dir="", **bad)
