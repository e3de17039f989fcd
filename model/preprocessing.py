"""Image <-> array steps around the generator: decode-side normalisation, L, alpha, output.

Kept apart from the network so the same steps serve every backend of the Colorizer
(torch and ONNX Runtime), training's evaluation and the benchmarks. NumPy and
Pillow only, no torch: the ONNX Runtime path never imports it. The full-resolution
pixel work (L of a 12-megapixel photo, upsampling ab, Lab -> 8-bit sRGB) runs over
cache-sized row bands, with `model.lab_numpy`'s lookup tables instead of float
planes and a `pow` per pixel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from model.lab_numpy import LabBandConverter, gray8_to_lightness, gray_to_lightness, rgb8_to_lightness

RENDER_MULTIPLE = 32
# An elongated panorama rendered at render_size on its short side could get huge on
# its long side; beyond this ratio the long side is capped instead.
MAX_RENDER_ASPECT = 4


@dataclass
class PreparedImage:
    """An input reduced to what colorization needs."""

    lightness: np.ndarray  # (H, W) float32, CIE L* in 0..100, at the original resolution
    alpha: np.ndarray | None  # (H, W) uint8, or None when the input had no alpha

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), as Pillow reports sizes."""
        return int(self.lightness.shape[1]), int(self.lightness.shape[0])


def orient(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation tag so the pixels are upright."""
    return ImageOps.exif_transpose(image)


def _alpha_of(image: Image.Image) -> np.ndarray | None:
    if image.mode in ("RGBA", "LA", "La", "RGBa", "PA"):
        return np.asarray(image.getchannel("A"))
    if image.mode == "P" and "transparency" in image.info:
        return np.asarray(image.convert("RGBA").getchannel("A"))
    return None


def _lightness_of_high_depth_gray(image: Image.Image) -> np.ndarray:
    # Pillow's I;16* and I modes hold 16-bit greys (0..65535); F holds 0..255 floats.
    scale = 255.0 if image.mode == "F" else 65535.0
    values = np.asarray(image).astype(np.float32) / scale
    return gray_to_lightness(np.clip(values, 0.0, 1.0))


def lightness_of(image: Image.Image) -> np.ndarray:
    """CIE L* (0..100) of an upright image, shape (H, W), float32.

    Grey inputs are read as neutral sRGB greys; colour inputs are reduced to their
    own Lab lightness (the L the model was trained on), so a colour photo can be
    re-colorized.
    """
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return _lightness_of_high_depth_gray(image)
    if mode in ("L", "LA", "La", "1"):
        gray = np.asarray(image.convert("L") if mode != "L" else image)
        return gray8_to_lightness(gray)
    rgb = np.asarray(image if mode == "RGB" else image.convert("RGB"))
    return rgb8_to_lightness(rgb)


def prepare(image: Image.Image) -> PreparedImage:
    """Orient the image and split it into full-resolution lightness and optional alpha."""
    image = orient(image)
    return PreparedImage(lightness=lightness_of(image), alpha=_alpha_of(image))


def render_shape(height: int, width: int, render_size: int) -> tuple[int, int]:
    """The (h, w) the generator sees: short side ~render_size, aspect kept, multiples of 32."""
    scale = render_size / min(height, width)
    scale = min(scale, MAX_RENDER_ASPECT * render_size / max(height, width))

    def snap(side: int) -> int:
        return max(RENDER_MULTIPLE, int(round(side * scale / RENDER_MULTIPLE)) * RENDER_MULTIPLE)

    return snap(height), snap(width)


def resize_lightness(lightness: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize (H, W) float32 lightness to `shape` (h, w), antialiased as an image resize is.

    Pillow's bilinear filter on a 32-bit float image: a triangle filter widened by the
    scale when shrinking (the same sampling as torch's `interpolate(..., antialias=True)`).
    """
    height, width = shape
    plane = Image.fromarray(np.ascontiguousarray(lightness, dtype=np.float32), mode="F")
    return np.asarray(plane.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)


def _bilinear_rows(source_rows: int, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output row: the source rows above and below and the weight of the one below.

    The same sampling as torch's interpolate(mode="bilinear", align_corners=False).
    (Columns use it too: bilinear is separable.)
    """
    scale = source_rows / rows
    position = np.maximum((np.arange(rows, dtype=np.float64) + 0.5) * scale - 0.5, 0.0)
    above = np.minimum(position.astype(np.intp), source_rows - 1)
    below = np.minimum(above + 1, source_rows - 1)
    weight_below = (position - above).astype(np.float32)
    return above, below, weight_below


def _widened(ab: np.ndarray, width: int) -> np.ndarray:
    """(2, h, w) -> (2, h, width), bilinear along the rows."""
    left, right, weight_right = _bilinear_rows(ab.shape[-1], width)
    wide = np.take(ab, left, axis=-1)
    wide += (np.take(ab, right, axis=-1) - wide) * weight_right
    return wide


def _upsampled_ab_bands(
    ab: np.ndarray, height: int, width: int, band_rows: int
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield (top, bottom, ab band of shape (2, bottom - top, width)) of ab upsampled bilinearly.

    Bilinear is separable: ab is widened to the full width once (still only h rows),
    then each band of output rows blends two of those rows. The full-resolution ab
    never exists as a whole, and each band is still in cache when it is converted.
    """
    source_rows = ab.shape[-2]
    ab = np.ascontiguousarray(ab, dtype=np.float32)
    wide = _widened(ab, width) if ab.shape[-1] != width else ab
    above, below, weight_below = _bilinear_rows(source_rows, height)
    band = np.empty((2, band_rows, width), dtype=np.float32)
    lower = np.empty((band_rows, width), dtype=np.float32)
    for top in range(0, height, band_rows):
        bottom = min(height, top + band_rows)
        count = bottom - top
        weights = weight_below[top:bottom, None]
        for channel in range(2):
            upper = band[channel, :count]
            np.take(wide[channel], above[top:bottom], axis=0, out=upper)
            np.take(wide[channel], below[top:bottom], axis=0, out=lower[:count])
            np.subtract(lower[:count], upper, out=lower[:count])
            np.multiply(lower[:count], weights, out=lower[:count])
            np.add(upper, lower[:count], out=upper)
        yield top, bottom, band[:, :count]


def compose(lightness: np.ndarray, ab: np.ndarray, alpha: np.ndarray | None = None) -> Image.Image:
    """Full-resolution L (H, W) + low-resolution ab (2, h, w, Lab units) -> sRGB(A) image.

    ab is upsampled bilinearly to the original resolution and converted to 8-bit sRGB
    in row bands (`model.lab.LabBandConverter`): a 12-megapixel photo holds its L and
    the 8-bit output, never a full-resolution float plane of ab or RGB.
    """
    height, width = lightness.shape[-2:]
    lightness_plane = np.ascontiguousarray(lightness, dtype=np.float32).reshape(height, width)
    convert = LabBandConverter()
    band_rows = max(1, convert.band_pixels // width)
    if band_rows * width > convert.band_pixels:  # a single row wider than a band
        convert = LabBandConverter(band_rows * width)
    output = np.empty((height, width, 3), dtype=np.uint8)
    for top, bottom, ab_band in _upsampled_ab_bands(np.asarray(ab, dtype=np.float32), height, width, band_rows):
        convert(lightness_plane[top:bottom], ab_band[0], ab_band[1], output[top:bottom])
    result = Image.fromarray(output)
    if alpha is not None:
        result.putalpha(Image.fromarray(alpha))
    return result


def flatten_alpha(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """RGBA -> RGB laid on `background` (white by default), for formats without alpha such as JPEG."""
    if image.mode != "RGBA":
        return image
    flat = Image.new("RGB", image.size, background)
    flat.paste(image, mask=image.getchannel("A"))
    return flat
