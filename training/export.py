"""Checkpoint -> serving artifact (the `model` package's format)."""

from __future__ import annotations

import logging
from pathlib import Path

from model.artifact import ArtifactMetadata, save_artifact
from model.generator import GeneratorConfig, UNetGenerator
from model.lab import DEFAULT_NORMALIZATION
from training.checkpoint import load_checkpoint
from training.config import TrainConfig

log = logging.getLogger(__name__)


def export_artifact(
    checkpoint_path: str | Path,
    out_path: str | Path,
    name: str = "colorizer-resnet18-unet",
    version: str = "1.0.0",
    render_size: int | None = None,
    description: str = "",
    half_precision: bool = True,
) -> Path:
    """Write the generator of a training checkpoint as an artifact with its recipe and metrics."""
    state = load_checkpoint(checkpoint_path)
    config = TrainConfig.from_dict(state["config"])
    generator_config = GeneratorConfig(in_channels=config.in_channels, decoder_channels=tuple(config.decoder_channels))
    generator = UNetGenerator(generator_config)
    generator.load_state_dict(state["generator"])
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
            "encoder_weights": config.encoder_weights,
            "init_from": config.init_from,
            "precision": config.precision,
            "seed": config.seed,
            "hints": (
                {"none_share": config.hint_none_share, "mean_count": config.hint_mean_count,
                 "max_patch": config.hint_max_patch, "lr_scale": config.hint_lr_scale,
                 "distill_from": config.distill_from}
                if config.hints else None
            ),
        },
        "checkpoint": Path(checkpoint_path).name,
    }
    metadata = ArtifactMetadata(
        name=name,
        version=version,
        generator=generator_config,
        lab=DEFAULT_NORMALIZATION,
        render_size=int(render_size or config.image_size),
        training=training,
        metrics={"val": dict(state.get("val_metrics") or {}), "epoch": epochs_done},
    )
    path = save_artifact(out_path, generator, metadata, half_precision=half_precision)
    log.info("wrote %s (%.1f MB) from %s, epoch %d", path, path.stat().st_size / 1e6, checkpoint_path, epochs_done)
    return path
