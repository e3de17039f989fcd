"""Pieces the HTTP benchmarks share: a test JPEG, a random-weight artifact, ports, percentiles."""

from __future__ import annotations

import argparse
import io
import socket
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model.artifact import ArtifactMetadata, default_artifact_path, save_artifact
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


def benchmark_parser(doc: str | None, allow_tiny: bool = False) -> argparse.ArgumentParser:
    """The prologue every HTTP benchmark shares: its docstring as help (first paragraph above the
    options, the rest below) and the --artifact | --random-weights [| --tiny] choice."""
    paragraphs = (doc or "").split("\n\n")
    parser = argparse.ArgumentParser(
        description=paragraphs[0],
        epilog="\n\n".join(paragraphs[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_artifact_arguments(parser, allow_tiny)
    return parser


def add_artifact_arguments(parser: argparse.ArgumentParser, allow_tiny: bool = False) -> None:
    """--artifact | --random-weights [| --tiny]: which model the benchmark serves."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--artifact",
        type=Path,
        default=None,
        help="model artifact to serve (default: $COLORIZER_ARTIFACT or the shipped model/weights/colorizer-default.safetensors)",
    )
    source.add_argument(
        "--random-weights",
        action="store_true",
        help="write and serve a full-size generator with random weights: same architecture and cost as the "
        "shipped model, for when it is not there (default: off)",
    )
    if allow_tiny:
        source.add_argument(
            "--tiny",
            action="store_true",
            help="write and serve the tests' tiny random generator (fast, not representative) (default: off)",
        )


def resolve_artifact(args: argparse.Namespace, scratch_dir: Path) -> Path:
    """The artifact the arguments name, writing a random one into scratch_dir when asked."""
    if args.random_weights:
        return write_random_artifact(scratch_dir / "random.safetensors")
    if getattr(args, "tiny", False):
        tiny = GeneratorConfig(decoder_channels=(16, 16, 16, 8, 8))
        return write_random_artifact(scratch_dir / "tiny.safetensors", tiny, render_size=64)
    artifact = Path(args.artifact or default_artifact_path())
    if not artifact.is_file():
        raise SystemExit(
            f"{artifact}: no such artifact. Pass --artifact PATH, or --random-weights to time the same "
            "architecture with random weights."
        )
    return artifact
