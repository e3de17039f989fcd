"""The training configuration (training.config): the adversarial phase's learning-rate schedule."""

import argparse

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
        {"real_chroma_boost": 0.9},
        {"compile_mode": "fast"},
        {"save_every": 0},
    ):
        with pytest.raises(ValueError):
            TrainConfig(data_dir="", out_dir="", **bad)


def test_the_train_flags_are_the_config_fields():
    """training/cli.py builds `train`'s parser from TrainConfig's fields: every field is a flag, with its help."""
    from dataclasses import fields

    from training.cli import build_parser, config_from_args

    parser = build_parser()
    args = parser.parse_args(["train", "--data-dir", "photos", "--out-dir", "run"])
    assert config_from_args(args) == TrainConfig(data_dir="photos", out_dir="run")
    (subcommands,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    destinations = {action.dest: action for action in subcommands.choices["train"]._actions}
    for config_field in fields(TrainConfig):
        assert config_field.name in destinations, f"{config_field.name} has no flag"
        assert destinations[config_field.name].help == config_field.metadata["help"]
    changed = config_from_args(
        parser.parse_args(
            [
                *("train", "--data-dir", "a", "b", "--out-dir", "run", "--no-progress", "--hints"),
                *("--betas-g", "0.1", "0.2", "--colourfulness-weight", "0.5", "--max-val-images", "7"),
                *("--compile-mode", "reduce-overhead", "--decoder-channels", "8", "8", "8", "8", "8"),
            ]
        )
    )
    assert changed.data_dir == ["a", "b"] and changed.progress is False and changed.hints is True
    assert changed.betas_g == [0.1, 0.2] and changed.colourfulness_weight == 0.5 and changed.max_val_images == 7
    assert changed.compile_mode == "reduce-overhead" and changed.decoder_channels == [8] * 5


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
