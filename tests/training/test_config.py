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


def test_l1_learning_rate_follows_a_half_cosine_to_its_floor_and_sizes_grow_after_the_small_epochs():
    config = TrainConfig(data_dir="", out_dir="", l1_lr_decay="cosine", l1_lr_floor=0.1)
    assert config.l1_lr_factor(0.0) == pytest.approx(1.0)
    assert config.l1_lr_factor(0.5) == pytest.approx(0.55)
    assert config.l1_lr_factor(1.0) == pytest.approx(0.1)
    assert TrainConfig(data_dir="", out_dir="").l1_lr_factor(0.7) == 1.0
    sized = TrainConfig(data_dir="", out_dir="", image_size=256, small_image_size=128, small_image_epochs=2)
    assert [sized.train_image_size(epoch) for epoch in range(4)] == [128, 128, 256, 256]
    for bad in (
        {"l1_lr_decay": "step"},
        {"l1_lr_floor": 2.0},
        {"epoch_images": -1},
        {"small_image_epochs": 2, "small_image_size": 300},
        {"channels_last": "maybe"},
    ):
        with pytest.raises(ValueError):
            TrainConfig(data_dir="", out_dir="", **bad)
