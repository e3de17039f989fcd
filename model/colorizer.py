"""Load once, colorize many: the public inference API of the model package.

    from model.colorizer import Colorizer
    colorizer = Colorizer.load()              # the shipped default artifact
    colored = colorizer.colorize(Image.open("photo.jpg"))
    steered = colorizer.colorize(photo, hints=[Hint(0.3, 0.2, (70, 130, 200))], vibrance=1.3)

The generator sees L resized to the render size (short side, aspect kept,
multiples of 32); its ab prediction is upsampled bilinearly to the original
resolution and combined with the original full-resolution L, so detail comes
from the input and only colour comes from the network.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model.artifact import ArtifactMetadata, default_artifact_path, load_artifact
from model.generator import UNetGenerator
from model.hints import HINT_INPUT_CHANNELS, MAX_HINTS, Hint, HintsUnsupportedError, paint_hints
from model.preprocessing import compose, prepare, render_shape, resize_lightness
from model.propagation import DEFAULT_PROPAGATION, Propagation, propagate_hints

MIN_RENDER_SIZE = 32
MAX_RENDER_SIZE = 2048
# Vibrance scales the predicted chroma: 0 gives the grayscale image, 1 the model's colours.
MIN_VIBRANCE, MAX_VIBRANCE = 0.0, 2.0


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA when present, else the CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class Colorizer:
    """A loaded generator plus the pre/post-processing around it. Thread-safe.

    With hints, the network's prediction is then corrected towards them along the
    lightness edges (`model.propagation`); `propagation=None` leaves it to the network.
    """

    def __init__(
        self, generator: UNetGenerator, metadata: ArtifactMetadata, device: torch.device,
        propagation: Propagation | None = DEFAULT_PROPAGATION,
    ) -> None:
        self.generator = generator.eval().to(device)
        self.metadata = metadata
        self.device = device
        self.propagation = propagation
        # One forward at a time per model copy: torch already uses every core for one.
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls, path: str | Path | None = None, device: str | torch.device = "auto",
        propagation: Propagation | None = DEFAULT_PROPAGATION,
    ) -> "Colorizer":
        """Load an artifact (default: $COLORIZER_ARTIFACT or the shipped model)."""
        resolved = resolve_device(device)
        generator, metadata = load_artifact(path or default_artifact_path(), device=resolved)
        return cls(generator, metadata, resolved, propagation)

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
    def supports_hints(self) -> bool:
        """Whether the generator was built to read colour-hint planes beside L."""
        return self.metadata.generator.in_channels == HINT_INPUT_CHANNELS

    @property
    def max_hints(self) -> int:
        return MAX_HINTS if self.supports_hints else 0

    def _check_render_size(self, render_size: int | None) -> int:
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

    @torch.inference_mode()
    def predict_ab(self, lightness: torch.Tensor, hint_planes: torch.Tensor | None = None) -> torch.Tensor:
        """Generator forward on a batch of L* (B, 1, h, w, 0..100) and, for a hint-capable model,
        its hint planes (B, 3, h, w; zeros for none) -> ab in Lab units (B, 2, h, w), on CPU."""
        lab = self.metadata.lab
        inputs = lab.normalize_l(lightness)
        if self.supports_hints:
            if hint_planes is None:
                hint_planes = torch.zeros(inputs.shape[0], HINT_INPUT_CHANNELS - 1, *inputs.shape[2:])
            inputs = torch.cat([inputs, hint_planes.to(inputs.dtype)], dim=1)
        with self._lock:
            ab_norm = self.generator(inputs.to(self.device))
        return lab.denormalize_ab(ab_norm.float()).cpu()

    def colorize(
        self, image: Image.Image, render_size: int | None = None, hints: Sequence[Hint] = (), vibrance: float = 1.0
    ) -> Image.Image:
        """Colorize one image; the result has the input's size (and its alpha, if any).

        hints: colour hints (positions relative to the image as oriented by EXIF); only a
        model with `supports_hints` takes them. vibrance: scales the chroma, 0..2.
        """
        return self.colorize_batch([image], render_size, [hints], vibrance)[0]

    def colorize_batch(
        self,
        images: Sequence[Image.Image],
        render_size: int | None = None,
        hints: Sequence[Sequence[Hint]] | None = None,
        vibrance: float = 1.0,
    ) -> list[Image.Image]:
        """Colorize several images; those sharing a render shape go through the network together.

        hints, when given, holds one sequence of hints per image.
        """
        size = self._check_render_size(render_size)
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
            batch = torch.stack([resize_lightness(prepared[i].lightness, shape) for i in indices])
            planes = None
            if self.supports_hints:
                planes = torch.stack([torch.from_numpy(paint_hints(per_image[i], *shape)) for i in indices])
            ab = self.predict_ab(batch, planes)
            for row, (i, ab_one) in enumerate(zip(indices, ab)):
                if per_image[i] and self.propagation is not None:
                    ab_one = self._propagate(batch[row, 0], ab_one, planes[row])
                results[i] = compose(prepared[i].lightness, ab_one * vibrance, prepared[i].alpha)
        return results  # type: ignore[return-value]


    def _propagate(self, lightness: torch.Tensor, ab: torch.Tensor, planes: torch.Tensor) -> torch.Tensor:
        hint_ab = self.metadata.lab.denormalize_ab(planes[:2]).numpy()
        corrected = propagate_hints(lightness.numpy(), ab.numpy(), hint_ab, planes[2].numpy(), self.propagation)
        return torch.from_numpy(np.ascontiguousarray(corrected, dtype=np.float32))


def check_vibrance(vibrance: float) -> float:
    """The vibrance as a float, or ValueError outside [0, 2]."""
    value = float(vibrance)
    if not MIN_VIBRANCE <= value <= MAX_VIBRANCE:  # also refuses NaN
        raise ValueError(f"vibrance must be between {MIN_VIBRANCE:g} and {MAX_VIBRANCE:g}, got {vibrance}")
    return value
