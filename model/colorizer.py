"""Load once, colorize many: the public inference API of the model package.

    from model.colorizer import Colorizer
    colorizer = Colorizer.load()              # the shipped default artifact
    colored = colorizer.colorize(Image.open("photo.jpg"))

The generator sees L resized to the render size (short side, aspect kept,
multiples of 32); its ab prediction is upsampled bilinearly to the original
resolution and combined with the original full-resolution L, so detail comes
from the input and only colour comes from the network.

Everything around the network is NumPy (`model.preprocessing`); the network runs
on a backend (`model.backends`): ONNX Runtime on the CPU without torch, or torch
on the CPU or CUDA. Both get the same input array and give the same output to
float32 rounding.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from model.artifact import ArtifactMetadata, default_artifact_path
from model.backends import Backend, load_backend
from model.batching import MicroBatcher
from model.preprocessing import PreparedImage, compose, prepare, render_shape, resize_lightness

MIN_RENDER_SIZE = 32
MAX_RENDER_SIZE = 2048
DEFAULT_MAX_BATCH = 8


class Colorizer:
    """A loaded generator (on a backend) plus the pre/post-processing around it. Thread-safe.

    With `batch_wait_s` > 0, concurrent `colorize` calls whose images share a render
    shape are gathered (for up to that long) into one forward: worth it on a GPU.
    """

    def __init__(self, backend: Backend, batch_wait_s: float = 0.0, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        self.backend = backend
        self.metadata: ArtifactMetadata = backend.metadata
        self._batcher = MicroBatcher(backend.run, batch_wait_s, max_batch)
        # Without batching: one forward at a time per model copy (a forward already uses every core).
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        device: str = "auto",
        backend: str = "auto",
        threads: int = 0,
        batch_wait_s: float = 0.0,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> "Colorizer":
        """Load an artifact (default: $COLORIZER_ARTIFACT or the shipped model) on a backend.

        `path` may name the .safetensors artifact or its .onnx file; `backend` is
        "auto", "onnx" or "torch" (see `model.backends`); `threads` 0 keeps the
        backend's own choice.
        """
        loaded = load_backend(path or default_artifact_path(), backend=backend, device=device, threads=threads)
        return cls(loaded, batch_wait_s=batch_wait_s, max_batch=max_batch)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def render_size(self) -> int:
        return self.metadata.render_size

    @property
    def backend_name(self) -> str:
        return self.backend.name

    @property
    def device(self) -> str:
        return self.backend.device

    @property
    def batching(self) -> dict:
        """The batching settings and what it has done so far."""
        stats = self._batcher.stats
        return {
            "wait_ms": round(self._batcher.wait_s * 1000, 3),
            "max_batch": self._batcher.max_batch,
            "forwards": stats.forwards,
            "images": stats.images,
            "largest_batch": stats.largest_batch,
        }

    def _check_render_size(self, render_size: int | None) -> int:
        size = self.render_size if render_size is None else int(render_size)
        if not MIN_RENDER_SIZE <= size <= MAX_RENDER_SIZE:
            raise ValueError(f"render_size must be between {MIN_RENDER_SIZE} and {MAX_RENDER_SIZE}, got {size}")
        return size

    def network_input(self, lightness: np.ndarray) -> np.ndarray:
        """The generator's input for one image: (in_channels, h, w) float32 from L* (h, w)."""
        plane = self.metadata.lab.normalize_l(np.asarray(lightness, dtype=np.float32))
        return plane[None].astype(np.float32, copy=False)

    def predict_ab(self, inputs: np.ndarray) -> np.ndarray:
        """Generator forward on a batch of network inputs (B, C, h, w) -> ab in Lab units (B, 2, h, w)."""
        if self._batcher.wait_s > 0:
            ab_norm = self._batcher.run_batch(inputs)
        else:
            with self._lock:
                ab_norm = self.backend.run(inputs)
        return self.metadata.lab.denormalize_ab(ab_norm.astype(np.float32, copy=False))

    def colorize(self, image: Image.Image, render_size: int | None = None) -> Image.Image:
        """Colorize one image; the result has the input's size (and its alpha, if any)."""
        size = self._check_render_size(render_size)
        if self._batcher.wait_s <= 0:
            return self.colorize_batch([image], size)[0]
        prepared = prepare(image)
        width, height = prepared.size
        item = self.network_input(resize_lightness(prepared.lightness, render_shape(height, width, size)))
        ab = self.metadata.lab.denormalize_ab(self._batcher(item))
        return _finish(prepared, ab)

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
            batch = np.stack([self.network_input(resize_lightness(prepared[i].lightness, shape)) for i in indices])
            ab = self.predict_ab(batch)
            for i, ab_one in zip(indices, ab):
                results[i] = _finish(prepared[i], ab_one)
        return results  # type: ignore[return-value]


def _finish(item: PreparedImage, ab: np.ndarray) -> Image.Image:
    return compose(item.lightness, ab, item.alpha)
