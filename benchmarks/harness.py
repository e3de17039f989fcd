"""Pieces the HTTP benchmarks share: a test JPEG, a random-weight artifact, ports, percentiles."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model.artifact import ArtifactMetadata, save_artifact
from model.generator import GeneratorConfig, UNetGenerator


def photo_like_jpeg(size: int, seed: int = 0) -> bytes:
    """A photo-like grayscale JPEG: soft shapes, gradients and grain (compresses like a photo)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    picture = 0.35 + 0.3 * x + 0.15 * np.sin(6 * y + 2 * x)
    for _ in range(12):
        cy, cx, radius = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.04, 0.2)
        picture += rng.uniform(-0.3, 0.3) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * radius**2))
    picture += rng.normal(0, 0.03, picture.shape)
    gray = Image.fromarray((np.clip(picture, 0, 1) * 255).astype(np.uint8))
    buffer = io.BytesIO()
    gray.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def write_random_artifact(path: Path, config: GeneratorConfig | None = None, render_size: int = 256) -> Path:
    """An artifact with random weights: the shipped architecture's cost, for timing only."""
    torch.manual_seed(0)
    config = config or GeneratorConfig()
    metadata = ArtifactMetadata(
        name="random-weights-benchmark",
        version="0",
        generator=config,
        render_size=render_size,
        training={"description": "random weights, for timing only"},
    )
    return save_artifact(path, UNetGenerator(config), metadata)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q))
