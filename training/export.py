"""Checkpoint -> serving artifact (the `model` package's format)."""

from __future__ import annotations

import logging
from pathlib import Path

from model.artifact import ArtifactError, ArtifactMetadata, model_name_for, read_metadata, save_artifact
from model.generator import UNetGenerator
from model.lab import DEFAULT_NORMALIZATION
from training.checkpoint import load_checkpoint
from training.config import TrainConfig

log = logging.getLogger(__name__)


class ArtifactExists(ArtifactError):
    """The output already holds an artifact of the version being exported."""


def refuse_to_replace_version(out_path: str | Path, version: str) -> None:
    """Raise ArtifactExists if `out_path` is an artifact that records `version`.

    Two different models must not share a version: the service and the web app show
    it as the model's identity. An unreadable file there is replaced.
    """
    path = Path(out_path)
    if not path.is_file():
        return
    try:
        existing = read_metadata(path).version
    except ArtifactError:
        return
    if existing == version:
        raise ArtifactExists(
            f"{path} already holds version {version} of a model: give the new one another --version, "
            "or pass --overwrite to replace it"
        )


def export_artifact(
    checkpoint_path: str | Path,
    out_path: str | Path,
    *,
    version: str,
    name: str | None = None,
    render_size: int | None = None,
    description: str = "",
    half_precision: bool = True,
    raw_generator: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write the generator of a training checkpoint as an artifact with its recipe and metrics.

    A checkpoint with an EMA of the generator (--ema-decay) exports the averaged
    weights, which are what its validation metrics measured; `raw_generator`
    exports the last optimised weights instead. An artifact at `out_path` recording
    the same `version` is kept (ArtifactExists) unless `overwrite`. `name` defaults to
    the encoder's (`model_name_for`).
    """
    if not overwrite:
        refuse_to_replace_version(out_path, version)
    state = load_checkpoint(checkpoint_path)
    config = TrainConfig.from_dict(state["config"])
    generator_config = config.generator_config()
    generator = UNetGenerator(generator_config)
    use_ema = state.get("generator_ema") is not None and not raw_generator
    generator.load_state_dict(state["generator_ema"] if use_ema else state["generator"])
    epochs_done = int(state["epoch"])
    training = {
        "description": description,
        "data": {
            "train_dir": config.data_dir,
            "val_dir": config.val_dir or f"{config.val_fraction:.0%} held out of the train folder",
            "counts": state.get("counts", {}),
        },
        "recipe": {
            "phases": "L1 pretraining, then adversarial (PatchGAN, BCE-with-logits + lambda x L1)",
            "l1_epochs": config.l1_epochs,
            "gan_epochs": config.gan_epochs,
            "epochs_completed": epochs_done,
            "image_size": config.image_size,
            "batch_size": config.batch_size,
            "lambda_l1": config.lambda_l1,
            "optimizer": f"Adam lr_g={config.lr_g} betas_g={tuple(config.betas_g)} lr_d={config.lr_d} betas_d={tuple(config.betas_d)}",
            "encoder": config.encoder,
            "encoder_weights": config.encoder_weights,
            "epoch_images": config.epoch_images,
            "l1_lr_decay": f"{config.l1_lr_decay} to {config.l1_lr_floor} x lr_g"
            if config.l1_lr_decay != "none"
            else "none",
            "progressive_resizing": (
                f"{config.small_image_size} px for {config.small_image_epochs} epochs, then {config.image_size} px"
                if config.small_image_epochs
                else None
            ),
            "init_from": config.init_from,
            "precision": config.precision,
            "seed": config.seed,
            "ema_decay": config.ema_decay,
            "weights": "EMA of the generator" if use_ema else "the generator",
            "gan_lr_decay_start": config.gan_lr_decay_start,
            "rebalanced_l1": config.rebalanced_l1,
            "colourfulness_weight": config.colourfulness_weight,
            "perceptual_weight": config.perceptual_weight,
            "augmentation": (
                "centre square, then random resized crop (scale 0.35-1) and flip on the device"
                if config.data_on_device
                else "random resized crop (scale 0.35-1) and flip"
            ),
            "hints": (
                {
                    "none_share": config.hint_none_share,
                    "mean_count": config.hint_mean_count,
                    "max_patch": config.hint_max_patch,
                    "lr_scale": config.hint_lr_scale,
                    "distill_from": config.distill_from,
                }
                if config.hints
                else None
            ),
        },
        "checkpoint": Path(checkpoint_path).name,
    }
    metadata = ArtifactMetadata(
        name=name or model_name_for(generator_config.encoder),
        version=version,
        generator=generator_config,
        lab=DEFAULT_NORMALIZATION,
        render_size=int(render_size or config.image_size),
        training=training,
        metrics={"val": dict(state.get("val_metrics") or {}), "epoch": epochs_done},
    )
    path = save_artifact(out_path, generator, metadata, half_precision=half_precision)
    log.info(
        "wrote %s (%.1f MB) from %s, epoch %d%s",
        path,
        path.stat().st_size / 1e6,
        checkpoint_path,
        epochs_done,
        ", EMA weights" if use_ema else "",
    )
    return path
