"""sRGB <-> CIELAB (D65, 2 degree observer) in torch, and the Lab normalisation.

This module is the single owner of the colour constants: the conversion
matrices, the reference white and the scaling that maps L and ab to the
network's [-1, 1] range. Everything else (training, serving, the artifact)
asks this module instead of repeating a number.

The formulas and constants are scikit-image's (`skimage.color.rgb2lab` /
`lab2rgb`), so results agree with it to float32 precision.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

# sRGB (D65) -> XYZ, as in skimage.color.colorconv.xyz_from_rgb.
_XYZ_FROM_RGB = torch.tensor(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ],
    dtype=torch.float64,
)
_RGB_FROM_XYZ = torch.linalg.inv(_XYZ_FROM_RGB)
# D65 reference white for the 2 degree observer.
_WHITE_D65 = torch.tensor([0.95047, 1.0, 1.08883], dtype=torch.float64)

_EPSILON = 0.008856  # (6/29)^3, CIE threshold between the cube root and the linear part
_KAPPA_SLOPE = 7.787
_OFFSET = 16.0 / 116.0


@dataclass(frozen=True)
class LabNormalization:
    """Maps Lab to the network's range: L/l_scale - l_center/l_scale, ab/ab_scale.

    The defaults put L (0..100) into [-1, 1] and ab (about -110..110) into [-1, 1].
    The artifact stores these numbers so serving uses what training used.
    """

    l_center: float = 50.0
    l_scale: float = 50.0
    ab_scale: float = 110.0

    def normalize_l(self, lightness: torch.Tensor) -> torch.Tensor:
        return (lightness - self.l_center) / self.l_scale

    def denormalize_l(self, l_norm: torch.Tensor) -> torch.Tensor:
        return l_norm * self.l_scale + self.l_center

    def normalize_ab(self, ab: torch.Tensor) -> torch.Tensor:
        return ab / self.ab_scale

    def denormalize_ab(self, ab_norm: torch.Tensor) -> torch.Tensor:
        return ab_norm * self.ab_scale

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "LabNormalization":
        return cls(**{key: float(values[key]) for key in ("l_center", "l_scale", "ab_scale")})


DEFAULT_NORMALIZATION = LabNormalization()


def _matrix(matrix: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return matrix.to(device=like.device, dtype=like.dtype)


def srgb_to_linear(rgb: torch.Tensor) -> torch.Tensor:
    """Undo the sRGB transfer curve (values in [0, 1])."""
    return torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055).pow(2.4), rgb / 12.92)


def linear_to_srgb(linear: torch.Tensor) -> torch.Tensor:
    """Apply the sRGB transfer curve; negative inputs are clamped to 0 first."""
    linear = linear.clamp(min=0.0)
    return torch.where(linear > 0.0031308, 1.055 * linear.pow(1.0 / 2.4) - 0.055, linear * 12.92)


def _lab_f(t: torch.Tensor) -> torch.Tensor:
    return torch.where(t > _EPSILON, t.clamp(min=_EPSILON).pow(1.0 / 3.0), _KAPPA_SLOPE * t + _OFFSET)


def _lab_f_inverse(f: torch.Tensor) -> torch.Tensor:
    # skimage's threshold 0.2068966 is f(_EPSILON) = 6/29.
    return torch.where(f > 0.2068966, f.pow(3), (f - _OFFSET) / _KAPPA_SLOPE)


def lightness_from_luminance(luminance: torch.Tensor) -> torch.Tensor:
    """CIE L* (0..100) from relative luminance Y (0..1)."""
    return 116.0 * _lab_f(luminance) - 16.0


def rgb_to_lightness(rgb: torch.Tensor) -> torch.Tensor:
    """L* only, from sRGB in [0, 1] shaped (..., 3, H, W); returns (..., 1, H, W).

    Cheaper than `rgb_to_lab` when the chroma is not needed (serving).
    """
    linear = srgb_to_linear(rgb)
    weights = _matrix(_XYZ_FROM_RGB[1], rgb).view(3, 1, 1)
    luminance = (linear * weights).sum(dim=-3, keepdim=True)
    return lightness_from_luminance(luminance)


def gray_to_lightness(gray: torch.Tensor) -> torch.Tensor:
    """L* of a neutral grey given as sRGB values in [0, 1] (any shape).

    For R = G = B the luminance is the linearised value times the Y row sum
    (0.999999 with these constants), so no colour matrix is needed.
    """
    row_sum = float(_XYZ_FROM_RGB[1].sum())
    return lightness_from_luminance(srgb_to_linear(gray) * row_sum)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB in [0, 1] shaped (..., 3, H, W) -> Lab (L in 0..100, a and b) of the same shape."""
    linear = srgb_to_linear(rgb)
    xyz = torch.einsum("ij,...jhw->...ihw", _matrix(_XYZ_FROM_RGB, rgb), linear)
    xyz = xyz / _matrix(_WHITE_D65, rgb).view(3, 1, 1)
    fx, fy, fz = _lab_f(xyz).unbind(dim=-3)
    lightness = 116.0 * fy - 16.0
    a = 500.0 * (fx - fy)
    b = 200.0 * (fy - fz)
    return torch.stack([lightness, a, b], dim=-3)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Lab shaped (..., 3, H, W) -> sRGB in [0, 1]; out-of-gamut colours are clipped."""
    lightness, a, b = lab.unbind(dim=-3)
    fy = (lightness + 16.0) / 116.0
    fx = a / 500.0 + fy
    fz = (fy - b / 200.0).clamp(min=0.0)  # skimage clips negative z the same way
    xyz = _lab_f_inverse(torch.stack([fx, fy, fz], dim=-3))
    xyz = xyz * _matrix(_WHITE_D65, lab).view(3, 1, 1)
    linear = torch.einsum("ij,...jhw->...ihw", _matrix(_RGB_FROM_XYZ, lab), xyz)
    return linear_to_srgb(linear).clamp(0.0, 1.0)


def lab_constants() -> dict:
    """The colour constants an artifact records, so a reader can check what it was trained with."""
    return {
        "colour_space": "CIELAB",
        "illuminant": "D65",
        "observer": "2",
        "normalization": DEFAULT_NORMALIZATION.to_dict(),
    }
