"""Checkpoint -> serving artifact (the `model` package's format)."""

from __future__ import annotations

import logging
from pathlib import Path

from model.artifact import ArtifactError, ArtifactMetadata, model_name_for, read_metadata, save_artifact
from model.generator import UNetGenerator
from model.lab import DEFAULT_NORMALIZATION
from training.checkpoint import load_checkpoint
from training.config import TrainConfig
from training.data import CROP_SCALE

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
    crop = f"random resized crop (scale {CROP_SCALE[0]:g}-{CROP_SCALE[1]:g}) and flip"
    training = {
        "description": description,
        "data": {
            "train_dir": config.data_dir,
            "val_dir": config.val_dir or f"{config.val_fraction:.0%} held out of the train folder",
            "counts": state.get("counts", {}),
        },
        # The whole TrainConfig (every option of the run, so a reader can rerun it), and what
        # follows from it and the checkpoint.
        "recipe": {
            **config.to_dict(),
            "phases": "L1 pretraining, then adversarial (PatchGAN, BCE-with-logits + lambda x L1)",
            "epochs_completed": epochs_done,
            "weights": "EMA of the generator" if use_ema else "the generator",
            "augmentation": (f"centre square, then {crop} on the device" if config.data_on_device else crop),
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
