"""Average the generator weights of several artifacts of one architecture (a "model soup").

Checkpoints from the same run's adversarial phase disagree on colours epoch to
epoch; the average of two or more keeps their shared, confident colours and
drops the flip-flopping ones, which usually raises PSNR at little cost in
colourfulness.
"""

from __future__ import annotations

from pathlib import Path

from model.artifact import ArtifactError, load_artifact, save_artifact


def average_artifacts(
    paths: list[str | Path],
    out_path: str | Path,
    version: str | None = None,
    weights: list[float] | None = None,
    description: str | None = None,
) -> Path:
    """Write the (weighted) element-wise mean of the artifacts' floating-point tensors; metadata from the first.

    `weights` (one per artifact, normalised to sum to 1) interpolates between models, e.g. between
    a vivid adversarial model and a cautious L1 one.
    """
    if len(paths) < 2:
        raise ValueError("averaging needs at least two artifacts")
    weights = [1.0] * len(paths) if weights is None else [float(w) for w in weights]
    if len(weights) != len(paths) or min(weights) < 0 or sum(weights) <= 0:
        raise ValueError("give one non-negative weight per artifact, not all zero")
    weights = [w / sum(weights) for w in weights]
    loaded = [load_artifact(path) for path in paths]
    first_metadata = loaded[0][1]
    for path, (_, metadata) in zip(paths[1:], loaded[1:], strict=False):
        if metadata.generator != first_metadata.generator:
            raise ArtifactError(f"{path}: architecture {metadata.generator} differs from {paths[0]}")
    generators = [generator for generator, _ in loaded]
    states = [generator.state_dict() for generator in generators]
    averaged = {}
    for key, value in states[0].items():
        if value.is_floating_point():
            averaged[key] = sum(weight * state[key] for weight, state in zip(weights, states, strict=False))
        else:
            averaged[key] = value  # e.g. BatchNorm's num_batches_tracked
    generators[0].load_state_dict(averaged)
    first_metadata.training = {
        **first_metadata.training,
        "averaged_from": [str(Path(p).name) for p in paths],
        "average_weights": weights,
    }
    if version:
        first_metadata.version = version
    if description:
        first_metadata.training["description"] = description
    return save_artifact(out_path, generators[0], first_metadata)
