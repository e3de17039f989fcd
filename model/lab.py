"""sRGB <-> CIELAB (D65, 2 degree observer) in torch, for training (batched, any device).

The constants and the Lab normalisation live in `model.lab_numpy` (one copy,
torch-free, shared with the NumPy serving paths); this module turns them into
tensors. The formulas are scikit-image's (`skimage.color.rgb2lab` / `lab2rgb`),
so results agree with it to float32 precision.
"""

from __future__ import annotations

import torch

from model.lab_numpy import (
    A_SCALE as _A_SCALE,
    B_SCALE as _B_SCALE,
    DEFAULT_NORMALIZATION,
    EPSILON as _EPSILON,
    F_INVERSE_THRESHOLD as _F_INVERSE_THRESHOLD,
    KAPPA_SLOPE as _KAPPA_SLOPE,
    L_OFFSET as _L_OFFSET,
    L_SCALE as _L_SCALE,
    OFFSET as _OFFSET,
    RGB_FROM_XYZ,
    SRGB_ENCODED_THRESHOLD as _SRGB_ENCODED_THRESHOLD,
    SRGB_GAMMA as _SRGB_GAMMA,
    SRGB_LINEAR_THRESHOLD as _SRGB_LINEAR_THRESHOLD,
    WHITE_D65,
    XYZ_FROM_RGB,
    LabNormalization,
)

__all__ = [
    "DEFAULT_NORMALIZATION",
    "LabNormalization",
    "gray_to_lightness",
    "lab_to_rgb",
    "lightness_from_luminance",
    "linear_to_srgb",
    "rgb_to_lab",
    "rgb_to_lightness",
    "srgb_to_linear",
]

_XYZ_FROM_RGB = torch.from_numpy(XYZ_FROM_RGB)
_RGB_FROM_XYZ = torch.from_numpy(RGB_FROM_XYZ)
_WHITE_D65 = torch.from_numpy(WHITE_D65)


# Device copies of the constants above. Each copy from host memory makes the host wait
# for the device, and training converts colour spaces several times per step.
_DEVICE_COPIES: dict[tuple, torch.Tensor] = {}


def _matrix(matrix: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """`matrix` in like's dtype on like's device; the copy to a non-CPU device is made once."""
    if like.device.type == "cpu":
        return matrix.to(dtype=like.dtype)
    key = (matrix.data_ptr(), tuple(matrix.shape), like.device, like.dtype)
    copy = _DEVICE_COPIES.get(key)
    if copy is None:
        copy = _DEVICE_COPIES[key] = matrix.to(device=like.device, dtype=like.dtype)
    return copy


def srgb_to_linear(rgb: torch.Tensor) -> torch.Tensor:
    """Undo the sRGB transfer curve (values in [0, 1])."""
    return torch.where(rgb > _SRGB_ENCODED_THRESHOLD, ((rgb + 0.055) / 1.055).pow(_SRGB_GAMMA), rgb / 12.92)


def linear_to_srgb(linear: torch.Tensor) -> torch.Tensor:
    """Apply the sRGB transfer curve; negative inputs are clamped to 0 first."""
    linear = linear.clamp(min=0.0)
    return torch.where(linear > _SRGB_LINEAR_THRESHOLD, 1.055 * linear.pow(1.0 / _SRGB_GAMMA) - 0.055, linear * 12.92)


def _lab_f(t: torch.Tensor) -> torch.Tensor:
    return torch.where(t > _EPSILON, t.clamp(min=_EPSILON).pow(1.0 / 3.0), _KAPPA_SLOPE * t + _OFFSET)


def _lab_f_inverse(f: torch.Tensor) -> torch.Tensor:
    return torch.where(f > _F_INVERSE_THRESHOLD, f.pow(3), (f - _OFFSET) / _KAPPA_SLOPE)


def lightness_from_luminance(luminance: torch.Tensor) -> torch.Tensor:
    """CIE L* (0..100) from relative luminance Y (0..1)."""
    return _L_SCALE * _lab_f(luminance) - _L_OFFSET


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
    lightness = _L_SCALE * fy - _L_OFFSET
    a = _A_SCALE * (fx - fy)
    b = _B_SCALE * (fy - fz)
    return torch.stack([lightness, a, b], dim=-3)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Lab shaped (..., 3, H, W) -> sRGB in [0, 1]; out-of-gamut colours are clipped."""
    lightness, a, b = lab.unbind(dim=-3)
    fy = (lightness + _L_OFFSET) / _L_SCALE
    fx = a / _A_SCALE + fy
    fz = (fy - b / _B_SCALE).clamp(min=0.0)  # skimage clips negative z the same way
    xyz = _lab_f_inverse(torch.stack([fx, fy, fz], dim=-3))
    xyz = xyz * _matrix(_WHITE_D65, lab).view(3, 1, 1)
    linear = torch.einsum("ij,...jhw->...ihw", _matrix(_RGB_FROM_XYZ, lab), xyz)
    return linear_to_srgb(linear).clamp(0.0, 1.0)
