"""Load once, colorize many: the public inference API of the model package.

    from model.colorizer import Colorizer
    colorizer = Colorizer.load()              # the shipped default artifact
    colored = colorizer.colorize(Image.open("photo.jpg"))
    steered = colorizer.colorize(photo, hints=[Hint(0.3, 0.2, (70, 130, 200))], vibrance=1.3)

The generator sees L resized to the render size (short side, aspect kept,
multiples of 32); its ab prediction is upsampled bilinearly to the original
resolution and combined with the original full-resolution L, so detail comes
from the input and only colour comes from the network.

Everything around the network is NumPy (`model.preprocessing`, `model.hints`,
`model.propagation`); the network runs on a backend (`model.backends`): ONNX
Runtime on the CPU without torch, or torch on the CPU or CUDA. Both get the same
input array and give the same output to float32 rounding.
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
from model.hints import HINT_INPUT_CHANNELS, MAX_HINTS, Hint, HintsUnsupportedError, paint_hints
from model.options import VIBRANCE
from model.preprocessing import PreparedImage, compose, prepare, render_shape, resize_lightness
from model.propagation import DEFAULT_PROPAGATION, Propagation, spread_hints

# What the library takes; the REST API and the CLI take a narrower range (model.options.RENDER_SIZE).
MIN_RENDER_SIZE = 32
MAX_RENDER_SIZE = 2048
DEFAULT_MAX_BATCH = 8


class Colorizer:
    """A loaded generator (on a backend) plus the pre/post-processing around it. Thread-safe.

    With hints, the network's prediction is then corrected towards them along the
    lightness edges (`model.propagation`); `propagation=None` leaves it to the network.
    With `batch_wait_s` > 0, concurrent `colorize` calls whose images share a render
    shape are gathered (for up to that long) into one forward: worth it on a GPU.
    """

    def __init__(
        self,
        backend: Backend,
        propagation: Propagation | None = DEFAULT_PROPAGATION,
        batch_wait_s: float = 0.0,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        self.backend = backend
        self.metadata: ArtifactMetadata = backend.metadata
        self.propagation = propagation
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
        propagation: Propagation | None = DEFAULT_PROPAGATION,
        batch_wait_s: float = 0.0,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> Colorizer:
        """Load an artifact (default: $COLORIZER_ARTIFACT or the shipped model) on a backend.

        `path` may name the .safetensors artifact or its .onnx file; `backend` is
        "auto", "onnx" or "torch" (see `model.backends`); `threads` 0 keeps the
        backend's own choice.
        """
        loaded = load_backend(path or default_artifact_path(), backend=backend, device=device, threads=threads)
        return cls(loaded, propagation, batch_wait_s=batch_wait_s, max_batch=max_batch)

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
    def supports_hints(self) -> bool:
        """Whether the generator was built to read colour-hint planes beside L."""
        return self.metadata.generator.in_channels == HINT_INPUT_CHANNELS

    @property
    def max_hints(self) -> int:
        return MAX_HINTS if self.supports_hints else 0

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

    def check_render_size(self, render_size: int | None) -> int:
        """The render size to use (None: the model's), or ValueError outside what the library takes."""
        size = self.render_size if render_size is None else int(render_size)
        if not MIN_RENDER_SIZE <= size <= MAX_RENDER_SIZE:
            raise ValueError(f"render_size must be between {MIN_RENDER_SIZE} and {MAX_RENDER_SIZE}, got {size}")
        return size

    def _check_hints(self, hints: Sequence[Sequence[Hint]]) -> None:
        if any(hints) and not self.supports_hints:
            raise HintsUnsupportedError(f"the model {self.name} {self.version} was not trained to take colour hints")
        for image_hints in hints:
            if len(image_hints) > MAX_HINTS:
                raise ValueError(f"at most {MAX_HINTS} hints per image, got {len(image_hints)}")

    def network_input(self, lightness: np.ndarray, hints: Sequence[Hint] = ()) -> np.ndarray:
        """The generator's input for one image at render resolution: (in_channels, h, w) float32.

        Channel 0 is the normalised L; a hint-capable model gets the hint planes after
        it (all zero without hints).
        """
        plane = self.metadata.lab.normalize_l(np.asarray(lightness, dtype=np.float32))[None]
        if self.supports_hints:
            height, width = plane.shape[1:]
            planes = paint_hints(hints, height, width, normalization=self.metadata.lab)
            plane = np.concatenate([plane, planes])
        return plane.astype(np.float32, copy=False)

    def predict_ab(self, inputs: np.ndarray) -> np.ndarray:
        """Generator forward on a batch of network inputs (B, in_channels, h, w) -> ab in Lab units (B, 2, h, w)."""
        if self._batcher.wait_s > 0:
            ab_norm = self._batcher.run_batch(inputs)
        else:
            with self._lock:
                ab_norm = self.backend.run(inputs)
        return self.metadata.lab.denormalize_ab(ab_norm.astype(np.float32, copy=False))

    def colorize(
        self,
        image: Image.Image,
        render_size: int | None = None,
        hints: Sequence[Hint] = (),
        vibrance: float = VIBRANCE.default,
    ) -> Image.Image:
        """Colorize one image; the result has the input's size (and its alpha, if any).

        hints: colour hints (positions relative to the image as oriented by EXIF); only a
        model with `supports_hints` takes them. vibrance: scales the chroma (bounds: model.options.VIBRANCE).
        """
        if self._batcher.wait_s <= 0:
            return self.colorize_batch([image], render_size, [hints], vibrance)[0]
        size = self.check_render_size(render_size)
        vibrance = check_vibrance(vibrance)
        hints = tuple(hints)
        self._check_hints([hints])
        prepared = prepare(image)
        width, height = prepared.size
        item = self.network_input(resize_lightness(prepared.lightness, render_shape(height, width, size)), hints)
        ab = self.metadata.lab.denormalize_ab(self._batcher(item))
        return self._finish(prepared, item, ab, hints, vibrance)

    def colorize_batch(
        self,
        images: Sequence[Image.Image],
        render_size: int | None = None,
        hints: Sequence[Sequence[Hint]] | None = None,
        vibrance: float = VIBRANCE.default,
    ) -> list[Image.Image]:
        """Colorize several images; those sharing a render shape go through the network together.

        hints, when given, holds one sequence of hints per image.
        """
        size = self.check_render_size(render_size)
        vibrance = check_vibrance(vibrance)
        per_image = [tuple(h) for h in hints] if hints is not None else [()] * len(images)
        if len(per_image) != len(images):
            raise ValueError(f"hints: one sequence per image expected, got {len(per_image)} for {len(images)} images")
        self._check_hints(per_image)
        prepared = [prepare(image) for image in images]
        groups: dict[tuple[int, int], list[int]] = {}
        for index, item in enumerate(prepared):
            width, height = item.size
            groups.setdefault(render_shape(height, width, size), []).append(index)
        results: list[Image.Image | None] = [None] * len(prepared)
        for shape, indices in groups.items():
            batch = np.stack(
                [self.network_input(resize_lightness(prepared[i].lightness, shape), per_image[i]) for i in indices]
            )
            ab = self.predict_ab(batch)
            for row, i in enumerate(indices):
                results[i] = self._finish(prepared[i], batch[row], ab[row], per_image[i], vibrance)
        finished = [image for image in results if image is not None]
        assert len(finished) == len(results)  # every image belongs to exactly one shape group
        return finished

    def _finish(
        self, prepared: PreparedImage, inputs: np.ndarray, ab: np.ndarray, hints: Sequence[Hint], vibrance: float
    ) -> Image.Image:
        """Propagate the hints over the prediction (render resolution), scale the chroma, compose."""
        if hints:
            ab = self.spread_hints(self.metadata.lab.denormalize_l(inputs[0]), ab, hints)
        return compose(prepared.lightness, ab * np.float32(vibrance), prepared.alpha)

    def spread_hints(
        self, lightness: np.ndarray, ab: np.ndarray, hints: Sequence[Hint], settings: Propagation | None = None
    ) -> np.ndarray:
        """ab (2, h, w) corrected towards the hints along lightness (h, w) L*, both at render resolution.

        The propagation step of `colorize` (model.propagation.spread_hints, with this model's
        Lab scaling and chroma gain), also used on a film's pinned keyframes (video.keyframes,
        with its own `settings`); with `propagation=None` or no hints, ab comes back as it is.
        """
        if not hints or self.propagation is None:
            return ab
        # The maths is model.propagation.spread_hints (which the browser's port is tested against).
        return spread_hints(
            lightness,
            ab,
            hints,
            settings or self.propagation,
            self.metadata.lab,
            self.metadata.generator.chroma_gain,
        )


def check_vibrance(vibrance: float) -> float:
    """The vibrance as a float, or ValueError outside its bounds (model.options.VIBRANCE)."""
    value = float(vibrance)
    low, high = VIBRANCE.bounds
    if not low <= value <= high:  # also refuses NaN
        raise ValueError(f"vibrance must be between {low:g} and {high:g}, got {vibrance}")
    return value
