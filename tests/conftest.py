"""Shared fixtures: tiny images and a tiny artifact the tests make themselves (no downloads)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from model.artifact import ArtifactMetadata, save_artifact
from model.generator import GeneratorConfig, UNetGenerator, expand_input_channels
from model.hints import HINT_INPUT_CHANNELS

TINY_GENERATOR = GeneratorConfig(decoder_channels=(16, 16, 16, 8, 8))


def make_photo(width: int = 64, height: int = 48, seed: int = 0) -> Image.Image:
    """A smooth colourful test image (gradients plus a few blocks), deterministic."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    red = 0.5 + 0.5 * np.sin(x / max(width, 1) * np.pi * 2 + rng.uniform(0, 3))
    green = 0.5 + 0.5 * np.cos(y / max(height, 1) * np.pi * 2 + rng.uniform(0, 3))
    blue = (x + y) / (width + height)
    rgb = np.stack([red, green, blue], axis=-1)
    return Image.fromarray((rgb * 255).round().astype(np.uint8), mode="RGB")


def _tiny_metadata(render_size: int, config: GeneratorConfig = TINY_GENERATOR) -> ArtifactMetadata:
    return ArtifactMetadata(
        name="tiny-test-colorizer",
        version="0.0.1",
        generator=config,
        render_size=render_size,
        training={"description": "random weights, for tests"},
        metrics={"val": {"psnr": 0.0}},
    )


def write_tiny_artifact(path, seed: int = 0, render_size: int = 64, config: GeneratorConfig = TINY_GENERATOR):
    torch.manual_seed(seed)
    return save_artifact(path, UNetGenerator(config), _tiny_metadata(render_size, config))


def write_tiny_hint_artifact(path, seed: int = 0, render_size: int = 64):
    """The tiny model grown to take colour hints (in_channels 4, the hint weights zero).

    The network ignores the hint planes, so hints act through the Colorizer's
    edge-aware propagation alone: enough for the tests of everything around the model.
    """
    torch.manual_seed(seed)
    expanded = expand_input_channels(UNetGenerator(TINY_GENERATOR), HINT_INPUT_CHANNELS)
    metadata = replace(_tiny_metadata(render_size), name="tiny-test-colorizer-hints", generator=expanded.config)
    return save_artifact(path, expanded, metadata)


@pytest.fixture(scope="session")
def tiny_hint_artifact(tmp_path_factory):
    """Path to a small hint-capable artifact shared by the whole test session."""
    return write_tiny_hint_artifact(tmp_path_factory.mktemp("artifact") / "tiny-hints.safetensors")


@pytest.fixture(scope="session")
def tiny_artifact(tmp_path_factory):
    """Path to a small random-weight artifact shared by the whole test session."""
    return write_tiny_artifact(tmp_path_factory.mktemp("artifact") / "tiny.safetensors")
