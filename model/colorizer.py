"""Load once, colorize many: the public inference API of the model package.

    from model.colorizer import Colorizer
    colorizer = Colorizer.load()              # the shipped default artifact
    colored = colorizer.colorize(Image.open("photo.jpg"))

The generator sees L resized to the render size (short side, aspect kept,
multiples of 32); its ab prediction is upsampled bilinearly to the original
resolution and combined with the original full-resolution L, so detail comes
from the input and only colour comes from the network.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image

from model.artifact import ArtifactMetadata, default_artifact_path, load_artifact
from model.generator import UNetGenerator
from model.preprocessing import PreparedImage, compose, prepare, render_shape, resize_lightness

MIN_RENDER_SIZE = 32
MAX_RENDER_SIZE = 2048


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA when present, else the CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class Colorizer:
    """A loaded generator plus the pre/post-processing around it. Thread-safe."""

    def __init__(self, generator: UNetGenerator, metadata: ArtifactMetadata, device: torch.device) -> None:
        self.generator = generator.eval().to(device)
        self.metadata = metadata
        self.device = device
        # One forward at a time per model copy: torch already uses every core for one.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path | None = None, device: str | torch.device = "auto") -> "Colorizer":
        """Load an artifact (default: $COLORIZER_ARTIFACT or the shipped model)."""
        resolved = resolve_device(device)
        generator, metadata = load_artifact(path or default_artifact_path(), device=resolved)
        return cls(generator, metadata, resolved)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def render_size(self) -> int:
        return self.metadata.render_size

    def _check_render_size(self, render_size: int | None) -> int:
        size = self.render_size if render_size is None else int(render_size)
        if not MIN_RENDER_SIZE <= size <= MAX_RENDER_SIZE:
            raise ValueError(f"render_size must be between {MIN_RENDER_SIZE} and {MAX_RENDER_SIZE}, got {size}")
        return size

    @torch.inference_mode()
    def predict_ab(self, lightness: torch.Tensor) -> torch.Tensor:
        """Generator forward on a batch of L* (B, 1, h, w, 0..100) -> ab in Lab units (B, 2, h, w), on CPU."""
        lab = self.metadata.lab
        with self._lock:
            ab_norm = self.generator(lab.normalize_l(lightness.to(self.device)))
        return lab.denormalize_ab(ab_norm.float()).cpu()

    def colorize(self, image: Image.Image, render_size: int | None = None) -> Image.Image:
        """Colorize one image; the result has the input's size (and its alpha, if any)."""
        return self.colorize_batch([image], render_size)[0]

    def colorize_batch(self, images: Sequence[Image.Image], render_size: int | None = None) -> list[Image.Image]:
        """Colorize several images; those sharing a render shape go through the network together."""
        size = self._check_render_size(render_size)
        prepared = [prepare(image) for image in images]
        groups: dict[tuple[int, int], list[int]] = {}
        for index, item in enumerate(prepared):
            width, height = item.size
            groups.setdefault(render_shape(height, width, size), []).append(index)
        results: list[Image.Image | None] = [None] * len(prepared)
        for shape, indices in groups.items():
            batch = torch.stack([resize_lightness(prepared[i].lightness, shape) for i in indices])
            ab = self.predict_ab(batch)
            for i, ab_one in zip(indices, ab):
                results[i] = _finish(prepared[i], ab_one)
        return results  # type: ignore[return-value]


def _finish(item: PreparedImage, ab: torch.Tensor) -> Image.Image:
    return compose(item.lightness, ab, item.alpha)
