"""CIELAB constants, the Lab normalisation and the NumPy (torch-free) colour paths.

This module is the single owner of the colour constants: the conversion
matrices, the reference white and the scaling that maps L and ab to the
network's [-1, 1] range. Everything else (the torch formulas in `model.lab`,
training, serving, the artifact) asks this module instead of repeating a number.
It imports NumPy only, so the torch-free serving path (ONNX Runtime) uses it too.

The formulas and constants are scikit-image's (`skimage.color.rgb2lab` /
`lab2rgb`), so results agree with it to float32 precision.

Serving converts one full-resolution photo at a time on the CPU, where a
12-megapixel image makes every extra float plane and every `pow` count: the
functions here (`gray8_to_lightness`, `rgb8_to_lightness`, `lab_to_srgb8`,
`linear_to_srgb8`) work in cache-sized row bands with lookup tables built from
the float64 formulas below.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

# sRGB (D65) -> XYZ, as in skimage.color.colorconv.xyz_from_rgb.
XYZ_FROM_RGB = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ],
    dtype=np.float64,
)
RGB_FROM_XYZ = np.linalg.inv(XYZ_FROM_RGB)
# D65 reference white for the 2 degree observer.
WHITE_D65 = np.array([0.95047, 1.0, 1.08883], dtype=np.float64)

EPSILON = 0.008856  # (6/29)^3, CIE threshold between the cube root and the linear part
KAPPA_SLOPE = 7.787
OFFSET = 16.0 / 116.0
# skimage's threshold for the inverse: f(EPSILON) = 6/29.
F_INVERSE_THRESHOLD = 0.2068966
# sRGB transfer curve: the linear segment below these values, the power curve above.
SRGB_ENCODED_THRESHOLD = 0.04045
SRGB_LINEAR_THRESHOLD = 0.0031308
SRGB_GAMMA = 2.4
# L* = 116 f(Y) - 16, a* = 500 (f(X) - f(Y)), b* = 200 (f(Y) - f(Z)).
L_SCALE, L_OFFSET = 116.0, 16.0
A_SCALE, B_SCALE = 500.0, 200.0


@dataclass(frozen=True)
class LabNormalization:
    """Maps Lab to the network's range: L/l_scale - l_center/l_scale, ab/ab_scale.

    The defaults put L (0..100) into [-1, 1] and ab (about -110..110) into [-1, 1].
    The artifact stores these numbers so serving uses what training used. Plain
    arithmetic: works on NumPy arrays and torch tensors alike.
    """

    l_center: float = 50.0
    l_scale: float = 50.0
    ab_scale: float = 110.0

    def normalize_l(self, lightness):
        return (lightness - self.l_center) / self.l_scale

    def denormalize_l(self, l_norm):
        return l_norm * self.l_scale + self.l_center

    def normalize_ab(self, ab):
        return ab / self.ab_scale

    def denormalize_ab(self, ab_norm):
        return ab_norm * self.ab_scale

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> LabNormalization:
        return cls(**{key: float(values[key]) for key in ("l_center", "l_scale", "ab_scale")})


DEFAULT_NORMALIZATION = LabNormalization()


# --- float64 formulas: the reference the tables below are built from ---------------------


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """Undo the sRGB transfer curve (values in [0, 1]), in float64."""
    rgb = np.asarray(rgb, dtype=np.float64)
    return np.where(rgb > SRGB_ENCODED_THRESHOLD, ((rgb + 0.055) / 1.055) ** SRGB_GAMMA, rgb / 12.92)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Apply the sRGB transfer curve in float64; negative inputs are clamped to 0 first."""
    linear = np.maximum(np.asarray(linear, dtype=np.float64), 0.0)
    return np.where(linear > SRGB_LINEAR_THRESHOLD, 1.055 * linear ** (1.0 / SRGB_GAMMA) - 0.055, linear * 12.92)


def lightness_from_luminance(luminance: np.ndarray) -> np.ndarray:
    """CIE L* (0..100) from relative luminance Y (0..1), in float64."""
    luminance = np.asarray(luminance, dtype=np.float64)
    f = np.where(luminance > EPSILON, np.cbrt(np.maximum(luminance, EPSILON)), KAPPA_SLOPE * luminance + OFFSET)
    return L_SCALE * f - L_OFFSET


def gray_to_lightness(gray: np.ndarray) -> np.ndarray:
    """L* (float32) of neutral greys given as sRGB values in [0, 1] (any shape).

    For R = G = B the luminance is the linearised value times the Y row sum
    (0.999999 with these constants), so no colour matrix is needed.
    """
    return lightness_from_luminance(srgb_to_linear(gray) * XYZ_FROM_RGB[1].sum()).astype(np.float32)


# --- band paths for full-resolution serving -----------------------------------------------
#
# One photo at a time on the CPU: the work runs in row bands whose scratch buffers
# stay in cache, reuses those buffers band after band, and replaces every `pow` by
# a cube (3 multiplications), a cube root (np.cbrt) or a lookup table built from
# the float64 formulas above.

# Pixels per band: the scratch of `lab_to_srgb8` (about 80 bytes a pixel) fits the
# cache, and the Python overhead per band stays a few percent of its arithmetic.
BAND_PIXELS = 1 << 15

# Linear values are bucketed by floor(x * _ENCODE_BUCKETS). A bucket must hold at most
# one step of the 8-bit code: the steepest part of the curve (255 * 12.92 codes per unit,
# just above 0) needs more than 3295 buckets. `_srgb8_tables` checks it.
_ENCODE_BUCKETS = 4096


def _srgb8_thresholds() -> np.ndarray:
    """t[k - 1]: the smallest linear value that `linear_to_srgb` maps to a code rounding to >= k."""
    codes = np.arange(1, 256, dtype=np.float64)
    low, high = np.zeros_like(codes), np.ones_like(codes)
    for _ in range(100):  # bisection down to adjacent float64 values
        middle = (low + high) / 2
        reached = np.round(linear_to_srgb(middle) * 255.0) >= codes
        high = np.where(reached, middle, high)
        low = np.where(reached, low, middle)
    return high


def _srgb8_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per bucket: a base code, and the float32 value from which the code is base + 1."""
    thresholds = np.append(_srgb8_thresholds(), [np.inf, np.inf])
    starts = np.arange(_ENCODE_BUCKETS + 1, dtype=np.float64) / _ENCODE_BUCKETS
    base = np.searchsorted(thresholds[:255], starts, side="right")
    step_at = thresholds[base]
    if np.any(thresholds[base[:-1] + 1] < starts[1:]):
        raise AssertionError("sRGB encode table: a bucket holds two code steps; raise _ENCODE_BUCKETS")
    # Buckets already at 255 step up from 254 at their own start instead of never: then
    # no threshold is infinite and x = +inf cannot step past 255.
    top = base == 255
    base[top], step_at[top] = 254, starts[top]
    # Round the float64 threshold up to float32 so `x >= step` is exact for float32 x.
    step32 = step_at.astype(np.float32)
    below = step32.astype(np.float64) < step_at
    step32[below] = np.nextafter(step32[below], np.float32(np.inf))
    return base.astype(np.uint8), step32


_SRGB8_BASE, _SRGB8_STEP = _srgb8_tables()


def _encode_srgb8(
    linear: np.ndarray, out: np.ndarray, scaled: np.ndarray, index: np.ndarray, step: np.ndarray, stepped: np.ndarray
) -> None:
    # Bucket index: x * 2^k is exact in float32 and the cast truncates; negatives, NaN and
    # -inf give indices below 0, which mode="clip" sends to bucket 0 (code 0).
    with np.errstate(over="ignore", invalid="ignore"):
        np.multiply(linear, np.float32(_ENCODE_BUCKETS), out=scaled)
        np.minimum(scaled, np.float32(_ENCODE_BUCKETS), out=scaled)
        np.copyto(index, scaled, casting="unsafe")
    np.take(_SRGB8_BASE, index, mode="clip", out=out)
    np.take(_SRGB8_STEP, index, mode="clip", out=step)
    np.greater_equal(linear, step, out=stepped)
    np.add(out, stepped, out=out, casting="unsafe")


def linear_to_srgb8(linear: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Linear RGB (any shape, float) -> 8-bit sRGB codes, as round(255 * linear_to_srgb(x)).

    A lookup table instead of a `pow` per value; the code equals the float64 formula's
    (out-of-range values clip to 0 or 255; NaN gives 0).
    """
    linear = np.ascontiguousarray(linear, dtype=np.float32)
    out = np.empty(linear.shape, dtype=np.uint8) if out is None else out
    _encode_srgb8(
        linear,
        out,
        np.empty_like(linear),
        np.empty(linear.shape, dtype=np.intp),
        np.empty_like(linear),
        np.empty(linear.shape, dtype=bool),
    )
    return out


# Linear RGB from the inverse of f(X), f(Y), f(Z): the white point folded into the matrix.
_RGB_FROM_F_CUBED = (RGB_FROM_XYZ * WHITE_D65.reshape(1, 3)).astype(np.float32)


class LabBandConverter:
    """Lab rows -> interleaved 8-bit sRGB, one band at a time, reusing its scratch buffers.

    Holds about 80 bytes of scratch per pixel of `band_pixels`; one converter per
    thread (it is not thread-safe). `lab_to_srgb8` is the whole-image form.
    """

    def __init__(self, band_pixels: int = BAND_PIXELS) -> None:
        self.band_pixels = band_pixels
        self._f = np.empty((3, band_pixels), dtype=np.float32)  # fx, fy, fz
        self._xyz = np.empty((3, band_pixels), dtype=np.float32)  # their inverse, white point not applied
        self._dark = np.empty((3, band_pixels), dtype=bool)
        self._linear = np.empty((band_pixels, 3), dtype=np.float32)  # interleaved, like the output
        self._scaled = np.empty((band_pixels, 3), dtype=np.float32)
        self._index = np.empty((band_pixels, 3), dtype=np.intp)
        self._step = np.empty((band_pixels, 3), dtype=np.float32)
        self._stepped = np.empty((band_pixels, 3), dtype=bool)

    def __call__(self, lightness: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
        """Convert C-contiguous float32 L*, a*, b* of one band (at most `band_pixels` values
        each, any shape) into `out`, a C-contiguous uint8 array of the same shape plus 3."""
        pixels = lightness.size
        if pixels > self.band_pixels:
            raise ValueError(f"band of {pixels} pixels exceeds this converter's {self.band_pixels}")
        if out.dtype != np.uint8 or out.size != 3 * pixels or not out.flags.c_contiguous:
            raise ValueError("out must be a C-contiguous uint8 array with 3 values per pixel")
        f, xyz, dark = self._f[:, :pixels], self._xyz[:, :pixels], self._dark[:, :pixels]
        fx, fy, fz = f
        np.add(lightness.reshape(-1), np.float32(L_OFFSET), out=fy)
        np.multiply(fy, np.float32(1.0 / L_SCALE), out=fy)
        np.multiply(a.reshape(-1), np.float32(1.0 / A_SCALE), out=fx)
        np.add(fx, fy, out=fx)
        np.multiply(b.reshape(-1), np.float32(-1.0 / B_SCALE), out=fz)
        np.add(fz, fy, out=fz)
        np.maximum(fz, np.float32(0.0), out=fz)  # skimage clips negative z the same way
        # The inverse of f: the cube everywhere, then the linear part for the (usually few)
        # values at or below the threshold, rather than both branches on every value.
        np.multiply(f, f, out=xyz)
        np.multiply(xyz, f, out=xyz)
        np.less_equal(f, np.float32(F_INVERSE_THRESHOLD), out=dark)
        if dark.any():
            xyz[dark] = (f[dark] - np.float32(OFFSET)) / np.float32(KAPPA_SLOPE)
        linear = self._linear[:pixels]
        np.matmul(xyz.T, _RGB_FROM_F_CUBED.T, out=linear)
        _encode_srgb8(
            linear,
            out.reshape(-1, 3),
            self._scaled[:pixels],
            self._index[:pixels],
            self._step[:pixels],
            self._stepped[:pixels],
        )


def lab_to_srgb8(
    lightness: np.ndarray, ab: np.ndarray, out: np.ndarray | None = None, band_pixels: int = BAND_PIXELS
) -> np.ndarray:
    """Lab planes -> interleaved 8-bit sRGB, the NumPy twin of `model.lab.lab_to_rgb` for one image.

    lightness: (H, W) L*; ab: (2, H, W) a* and b*; returns (H, W, 3) uint8 (or fills
    `out`). Equals round(255 * lab_to_rgb(lab)) up to float32 rounding (1 level at most);
    out-of-gamut colours are clipped as `lab_to_rgb` clips them.
    """
    lightness = np.ascontiguousarray(lightness, dtype=np.float32)
    ab = np.ascontiguousarray(ab, dtype=np.float32)
    height, width = lightness.shape
    if ab.shape != (2, height, width):
        raise ValueError(f"ab must be shaped (2, {height}, {width}), got {ab.shape}")
    out = np.empty((height, width, 3), dtype=np.uint8) if out is None else out
    rows = max(1, band_pixels // max(1, width))
    convert = LabBandConverter(rows * width)
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        convert(lightness[top:bottom], ab[0, top:bottom], ab[1, top:bottom], out[top:bottom])
    return out


def srgb8_to_lab(rgb: np.ndarray) -> np.ndarray:
    """8-bit sRGB (..., 3) uint8 -> Lab (..., 3) float32 (L*, a*, b*), for a few colours.

    The NumPy twin of `model.lab.rgb_to_lab`, in float64 for exactness; meant for small
    inputs such as hint colours, not full-resolution photos.
    """
    linear = srgb_to_linear(np.asarray(rgb, dtype=np.float64) / 255.0)
    xyz = linear @ XYZ_FROM_RGB.T / WHITE_D65
    f = np.where(xyz > EPSILON, np.cbrt(np.maximum(xyz, EPSILON)), KAPPA_SLOPE * xyz + OFFSET)
    lightness = L_SCALE * f[..., 1] - L_OFFSET
    a = A_SCALE * (f[..., 0] - f[..., 1])
    b = B_SCALE * (f[..., 1] - f[..., 2])
    return np.stack([lightness, a, b], axis=-1).astype(np.float32)


def _gray_lightness_table() -> np.ndarray:
    return gray_to_lightness(np.arange(256, dtype=np.float64) / 255.0)


def _channel_luminance_tables() -> np.ndarray:
    # Y = sum over c of weight_c * linear(c): one 256-entry table per channel.
    linear = srgb_to_linear(np.arange(256, dtype=np.float64) / 255.0)
    return (XYZ_FROM_RGB[1].reshape(3, 1) * linear.reshape(1, 256)).astype(np.float32)


_GRAY8_TO_LIGHTNESS = _gray_lightness_table()
_RGB8_TO_LUMINANCE = _channel_luminance_tables()


def gray8_to_lightness(gray: np.ndarray, band_pixels: int = BAND_PIXELS) -> np.ndarray:
    """8-bit neutral greys (any 2-D shape, uint8) -> L* (0..100) float32 through a 256-entry table."""
    if gray.dtype != np.uint8:
        raise TypeError(f"gray8_to_lightness needs uint8 values, got {gray.dtype}")
    height, width = gray.shape
    out = np.empty((height, width), dtype=np.float32)
    rows = max(1, band_pixels // max(1, width))
    for top in range(0, height, rows):  # bands keep take's index copy small
        np.take(_GRAY8_TO_LIGHTNESS, gray[top : top + rows], out=out[top : top + rows])
    return out


def rgb8_to_lightness(rgb: np.ndarray, band_pixels: int = BAND_PIXELS) -> np.ndarray:
    """8-bit sRGB (H, W, 3) uint8 -> L* (H, W) float32, the NumPy twin of `rgb_to_lightness`.

    Luminance is a sum of three per-channel tables; L* needs one cube root per pixel.
    """
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise TypeError(f"rgb8_to_lightness needs (H, W, 3) uint8 values, got {rgb.shape} {rgb.dtype}")
    height, width = rgb.shape[:2]
    out = np.empty((height, width), dtype=np.float32)
    rows = max(1, band_pixels // max(1, width))
    luminance = np.empty(rows * width, dtype=np.float32)
    term = np.empty(rows * width, dtype=np.float32)
    for top in range(0, height, rows):
        band = rgb[top : top + rows]
        pixels = band.shape[0] * width
        y, t, lightness = luminance[:pixels], term[:pixels], out[top : top + rows].reshape(-1)
        np.take(_RGB8_TO_LUMINANCE[0], band[..., 0].reshape(-1), out=y)
        np.take(_RGB8_TO_LUMINANCE[1], band[..., 1].reshape(-1), out=t)
        np.add(y, t, out=y)
        np.take(_RGB8_TO_LUMINANCE[2], band[..., 2].reshape(-1), out=t)
        np.add(y, t, out=y)
        np.cbrt(y, out=lightness)  # f(Y), then the linear part for the darkest values only
        dark = y <= np.float32(EPSILON)
        if dark.any():
            lightness[dark] = np.float32(KAPPA_SLOPE) * y[dark] + np.float32(OFFSET)
        np.multiply(lightness, np.float32(L_SCALE), out=lightness)
        np.subtract(lightness, np.float32(L_OFFSET), out=lightness)
    return out
