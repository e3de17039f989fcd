"""Colour hints: a user's "this spot is this colour", as the generator's extra input planes.

A hint is a point (x, y relative to the upright image, 0..1 from the left and from the
top) and an sRGB colour. It reaches the network as three planes at render resolution
beside L (Zhang et al. 2017, "Real-Time User-Guided Image Colorization with Learned
Deep Priors"): the colour's own a* and b* (normalised like the network's ab output)
painted as a small square patch, and a mask that is 1 on the patch. The photo keeps
its own lightness; only the chroma of the chosen colour is used.

NumPy only (no torch): the serving path paints hints without the training stack.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.lab_numpy import DEFAULT_NORMALIZATION, LabNormalization, srgb8_to_lab

# Planes the generator reads after L: hint a, hint b, hint mask.
HINT_PLANES = 3
# The generator's in_channels when it takes hints: L plus the hint planes.
HINT_INPUT_CHANNELS = 1 + HINT_PLANES
# Most hints one request may carry (the REST API's documented limit).
MAX_HINTS = 64
# Side of the square painted for each hint, in render-resolution pixels. Training
# samples patch sides around it (see training.hints), so any side in that range works.
HINT_PATCH_SIZE = 5

_COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")

# How far a hint's correction spreads: a share of the propagation's fade distance
# (model.propagation.Propagation.reach). "whole" is the region up to its lightness
# edges, as before reaches existed; "small" keeps a pin on the object under it
# (benchmarks/bench_pin_reach.py measures how much less it changes elsewhere).
REACHES: dict[str, float] = {"small": 0.05, "medium": 0.2, "whole": 1.0}
DEFAULT_REACH = "whole"


class HintError(ValueError):
    """A hint list that is malformed; the message says what is wrong with it."""


class HintsUnsupportedError(ValueError):
    """Hints were given to a model that was not trained to take them."""


@dataclass(frozen=True)
class Hint:
    """One colour hint: position relative to the upright image, and an 8-bit sRGB colour."""

    x: float
    y: float
    color: tuple[int, int, int]
    reach: str = DEFAULT_REACH

    def __post_init__(self) -> None:
        if not isinstance(self.reach, str) or self.reach not in REACHES:  # a list is unhashable: no TypeError
            raise HintError(f"hint reach must be one of {', '.join(REACHES)}, got {self.reach!r}")
        for name, value in (("x", self.x), ("y", self.y)):
            # A comparison, not math.isfinite: it refuses NaN and infinities and takes ints of any size.
            if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
                raise HintError(f"hint {name} must be a number between 0 and 1, got {value!r}")
        if len(self.color) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in self.color):
            raise HintError(f"hint color must be three integers 0..255, got {self.color!r}")

    @property
    def hex_color(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.color)

    @classmethod
    def from_json(cls, value: Any, index: int = 0) -> Hint:
        """Build a hint from a {"x": .., "y": .., "color": "#rrggbb", "reach"?: ..} object (other keys are refused)."""
        where = f"hint {index}"
        if not isinstance(value, dict):
            raise HintError(f"{where} must be an object with x, y and color")
        unknown = sorted(set(value) - {"x", "y", "color", "reach"})
        if unknown:
            raise HintError(f"{where} has unknown keys {unknown}; expected x, y, color and optionally reach")
        reach = value.get("reach", DEFAULT_REACH)
        if not isinstance(reach, str) or reach not in REACHES:
            raise HintError(f"{where}: reach must be one of {', '.join(REACHES)}, got {reach!r}")
        missing = [key for key in ("x", "y", "color") if key not in value]
        if missing:
            raise HintError(f"{where} is missing {', '.join(missing)}")
        coordinates = []
        for key in ("x", "y"):
            number = value[key]
            # NaN and infinities (json reads NaN, Infinity and 1e400) are no number to place a hint at.
            not_finite = isinstance(number, float) and not math.isfinite(number)
            if isinstance(number, bool) or not isinstance(number, (int, float)) or not_finite:
                raise HintError(f"{where}: {key} must be a number between 0 and 1")
            if not 0.0 <= number <= 1.0:  # a comparison: also ints too large for a float
                shown = f"{number}" if isinstance(number, float) or abs(number) < 10**30 else "a huge integer"
                raise HintError(f"{where}: {key} = {shown} is outside [0, 1]")
            coordinates.append(float(number))
        return cls(coordinates[0], coordinates[1], parse_color(value["color"], where), reach)


def parse_color(value: Any, where: str = "color") -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b)."""
    if not isinstance(value, str) or not _COLOR_PATTERN.match(value):
        raise HintError(f"{where}: color must be a string '#rrggbb', got {value!r}")
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def parse_hints(value: str | Sequence[Any] | None, max_hints: int = MAX_HINTS) -> list[Hint]:
    """Hints from their JSON text (or an already decoded list); None or '' gives no hints."""
    if value is None:
        return []
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise HintError(f"hints must be a JSON array ({error.msg} at character {error.pos})") from error
    if not isinstance(value, list):
        raise HintError("hints must be a JSON array of {x, y, color} objects")
    if len(value) > max_hints:
        raise HintError(f"at most {max_hints} hints are allowed, got {len(value)}")
    return [Hint.from_json(item, index) for index, item in enumerate(value)]


def hint_pixel(hint: Hint, height: int, width: int) -> tuple[int, int]:
    """(row, column) of the pixel a hint points at in an image of this size."""
    return min(height - 1, int(hint.y * height)), min(width - 1, int(hint.x * width))


def by_reach(hints: Iterable[Hint]) -> list[tuple[float, list[Hint]]]:
    """The hints grouped by reach, as (share of the fade distance, hints), widest first:
    narrower pins then correct what a wider one spread over them."""
    groups: dict[float, list[Hint]] = {}
    for hint in hints:
        groups.setdefault(REACHES[hint.reach], []).append(hint)
    return sorted(groups.items(), key=lambda group: -group[0])


def hint_ab(hints: Iterable[Hint]) -> np.ndarray:
    """(N, 2) float32 a*, b* of each hint's colour."""
    colors = np.array([hint.color for hint in hints], dtype=np.uint8).reshape(-1, 1, 3)
    return srgb8_to_lab(colors)[:, 0, 1:]


def paint_hints(
    hints: Sequence[Hint],
    height: int,
    width: int,
    patch_size: int = HINT_PATCH_SIZE,
    normalization: LabNormalization = DEFAULT_NORMALIZATION,
) -> np.ndarray:
    """The generator's hint planes (3, height, width) float32: normalised a, b, then the mask.

    Each hint is a patch_size square centred on its pixel (cut at the borders); where
    patches overlap the later hint wins, as a later click would.
    """
    planes = np.zeros((HINT_PLANES, height, width), dtype=np.float32)
    if not hints:
        return planes
    values = hint_ab(hints) / np.float32(normalization.ab_scale)
    before = (patch_size - 1) // 2
    after = patch_size - before
    for hint, (a, b) in zip(hints, values, strict=False):
        row, column = hint_pixel(hint, height, width)
        rows = slice(max(0, row - before), min(height, row + after))
        columns = slice(max(0, column - before), min(width, column + after))
        planes[0, rows, columns] = a
        planes[1, rows, columns] = b
        planes[2, rows, columns] = 1.0
    return planes
