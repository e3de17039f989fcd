"""A film's keyframes as given (a time, a colour image and/or pins) and what can be wrong with them.

Pillow and NumPy only (no PyAV or OpenCV), so the CLI and the service can check
keyframes without the video extra; `video.keyframes` carries them through the film.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from model.hints import Hint
from model.lab_numpy import srgb8_to_lab
from model.preprocessing import orient

# The documented limit: a colourist fixes a few frames per shot, not every frame.
MAX_KEYFRAMES = 64
# A keyframe's width/height may differ from the film's by this share (rounding, 1080 vs 1088).
ASPECT_TOLERANCE = 0.02
# Mean chroma (a*b* length) under which a keyframe counts as grey.
MIN_KEYFRAME_CHROMA = 2.0

# Stable codes of a KeyframeError: the CLI's report and the REST API pass them on.
KEYFRAME_TIME_OUT_OF_RANGE = "keyframe_time_out_of_range"  # negative, not a number, or past the last frame
KEYFRAME_NOT_AN_IMAGE = "keyframe_not_an_image"
KEYFRAME_NOT_COLOUR = "keyframe_not_colour"
KEYFRAME_ASPECT_RATIO = "keyframe_aspect_ratio"
TOO_MANY_KEYFRAMES = "too_many_keyframes"
DUPLICATE_KEYFRAME_TIME = "duplicate_keyframe_time"
EMPTY_KEYFRAME = "empty_keyframe"  # neither an image nor pins
KEYFRAME_ERROR_CODES = frozenset(
    {
        KEYFRAME_TIME_OUT_OF_RANGE,
        KEYFRAME_NOT_AN_IMAGE,
        KEYFRAME_NOT_COLOUR,
        KEYFRAME_ASPECT_RATIO,
        TOO_MANY_KEYFRAMES,
        DUPLICATE_KEYFRAME_TIME,
        EMPTY_KEYFRAME,
    }
)


class KeyframeError(ValueError):
    """A keyframe that cannot be used: `code` is one of KEYFRAME_ERROR_CODES, the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        assert code in KEYFRAME_ERROR_CODES, code
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Keyframe:
    """The colours of the film at `time` seconds (from its first frame): a colour image and/or pins."""

    time: float = 0.0
    image: Image.Image | None = None  # the whole frame, upright, in colour; resized to the film's size
    hints: tuple[Hint, ...] = ()


def read_keyframe_image(data: bytes, where: str = "keyframe") -> Image.Image:
    """A keyframe image from its file's bytes, upright (EXIF), or KeyframeError keyframe_not_an_image."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            return orient(opened)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise KeyframeError(KEYFRAME_NOT_AN_IMAGE, f"{where} is not an image Pillow can read ({error})") from None


def check_keyframes(keyframes: Sequence[Keyframe], duration_s: float | None = None) -> list[Keyframe]:
    """The keyframes sorted by time, or KeyframeError for the first thing wrong with them.

    Times past `duration_s` (when known) are refused here; the colorizing pass refuses
    any past the last decoded frame too.
    """
    if len(keyframes) > MAX_KEYFRAMES:
        raise KeyframeError(TOO_MANY_KEYFRAMES, f"at most {MAX_KEYFRAMES} keyframes per film, got {len(keyframes)}")
    for keyframe in keyframes:
        time = keyframe.time
        if isinstance(time, bool) or not isinstance(time, (int, float)) or not math.isfinite(time) or time < 0:
            raise KeyframeError(KEYFRAME_TIME_OUT_OF_RANGE, f"keyframe time must be 0 or more seconds, got {time!r}")
        if duration_s is not None and time > duration_s:
            raise KeyframeError(
                KEYFRAME_TIME_OUT_OF_RANGE, f"keyframe at {time:g} s is past the end of the film ({duration_s:.3f} s)"
            )
        if keyframe.image is None and not keyframe.hints:
            raise KeyframeError(EMPTY_KEYFRAME, f"keyframe at {time:g} s has neither an image nor pins")
        if keyframe.image is not None:
            check_colour(keyframe.image, f"keyframe at {time:g} s")
    ordered = sorted(keyframes, key=lambda keyframe: keyframe.time)
    for first, second in itertools.pairwise(ordered):
        if first.time == second.time:
            raise KeyframeError(DUPLICATE_KEYFRAME_TIME, f"two keyframes at {first.time:g} s")
    return ordered


def check_colour(image: Image.Image, where: str = "keyframe") -> None:
    """KeyframeError keyframe_not_colour unless the image has colour (a grey one would only grey the film)."""
    if image.mode not in ("RGB", "RGBA", "P", "CMYK", "YCbCr", "LAB", "HSV", "RGBX", "RGBa"):
        raise KeyframeError(KEYFRAME_NOT_COLOUR, f"{where}: a keyframe must be in colour (this image is {image.mode})")
    small = image.convert("RGB")
    small.thumbnail((128, 128))
    ab = srgb8_to_lab(np.asarray(small))[..., 1:]
    if float(np.hypot(ab[..., 0], ab[..., 1]).mean()) < MIN_KEYFRAME_CHROMA:
        raise KeyframeError(KEYFRAME_NOT_COLOUR, f"{where}: a keyframe must be in colour (this image is grey)")


def check_aspect(image: Image.Image, width: int, height: int, where: str = "keyframe") -> None:
    """KeyframeError keyframe_aspect_ratio unless the image has the width x height film's shape (any size)."""
    film_aspect, aspect = width / height, image.width / image.height
    if abs(aspect - film_aspect) > ASPECT_TOLERANCE * film_aspect:
        raise KeyframeError(
            KEYFRAME_ASPECT_RATIO,
            f"{where} is {image.width}x{image.height}, the film {width}x{height}: another aspect ratio",
        )
