"""The v2 recipe: a hint-capable EfficientNet-Lite0 U-Net (ImageNet encoder), as `python -m training train` options.

    from training.recipes.v2_model import v2_config
    config = v2_config(["photos/train", "photos/train_extra"], "photos/val", "runs/v2", l1_epochs=9, gan_epochs=16)

The options were set by the CPU-scale comparisons in docs/model-history.md ("Recipe
comparisons", training/recipes/v2_compare.py): lr decay kept; EMA, rebalanced L1 and
the colourfulness loss off; lambda left at 100. The epochs come from the time there
is: the L1 phase gets L1_SHARE of it (training.throughput.plan_epochs). How the v2
model was trained on a lent GPU, photos carried in parts, is tools/gpu_staging/v2_session.py.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from model.artifact import model_name_for
from training.config import TrainConfig

VERSION = "2.0.0"
NAME = model_name_for("efficientnet_lite0")
# Each is a TrainConfig field (a `python -m training train` option). The encoder is the CPU
# recipe's (training/recipes/v2_cpu.sh): EfficientNet-Lite0 from its ImageNet weights.
RECIPE: dict[str, Any] = {
    "encoder": "efficientnet_lite0",
    "encoder_weights": "imagenet",
    "l1_lr_decay": "cosine",
    "hints": True,
    "image_size": 256,
    "batch_size": 64,
    "lambda_l1": 100.0,
    "lr_g": 2e-4,
    "lr_d": 2e-4,
    "ema_decay": 0.0,
    "gan_lr_decay_start": 0.5,
    "rebalanced_l1": False,
    "colourfulness_weight": 0.0,
}
L1_SHARE = 0.35  # share of the training time spent in the L1 phase


def v2_config(data_dirs: list[str], val_dir: str | None, out_dir: str, **changes: Any) -> TrainConfig:
    """The recipe's TrainConfig for these folders; `changes`: other TrainConfig fields (epochs, device...)."""
    recipe = {**RECIPE, **{key: value for key, value in changes.items() if key in RECIPE}}
    config = TrainConfig(
        data_dir=data_dirs,
        val_dir=val_dir,
        out_dir=out_dir,
        data_on_device=True,
        min_image_side=min(64, recipe["image_size"]),
        **recipe,
    )
    return dataclasses.replace(config, **{key: value for key, value in changes.items() if key not in RECIPE})


def description(train_images: int, l1_epochs: int, gan_epochs: int, recipe: dict[str, Any], notes: dict) -> str:
    """The artifact's training description for a v2 run."""
    return (
        f"U-Net ({recipe['encoder']} encoder, {recipe['encoder_weights']} weights) with colour hints, trained on "
        f"{train_images} photos (shared/data/colorize "
        f"train + train_extra, {notes.get('size')} px centre squares, WebP q{notes.get('quality')}), "
        f"{l1_epochs} L1 + {gan_epochs} PatchGAN "
        f"epochs, batch {recipe['batch_size']}, {recipe['image_size']} px, bf16, EMA {recipe['ema_decay'] or 'off'}, "
        f"lr decay from {recipe['gan_lr_decay_start']} of phase 2; recipe training/recipes/v2_model.py"
    )
