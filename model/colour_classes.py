"""a*b* as classes: the in-gamut bins and the annealed-mean decoding (Zhang, Isola & Efros 2016).

L1 regression predicts the median of the plausible colours, and where a shirt may as
well be red or blue that median is brown-grey. A classification head predicts a
distribution over quantised a*b* instead, so "red or blue" stays two peaks; decoding it
by the annealed mean at a temperature T (softmax of logits / T, then the expectation of
the bin centres) chooses how far towards the mode the colour goes. T trades PSNR for
colour at inference, like the L1/PatchGAN interpolation.

The bins are Zhang et al.'s: centres on a grid of `AB_GRID` a*b* units that some sRGB
colour reaches at some lightness (their 313; the count here comes from the same rule).
Torch-free; `model.generator` turns the centres into a buffer of the network.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from model.lab_numpy import (
    A_SCALE,
    B_SCALE,
    F_INVERSE_THRESHOLD,
    KAPPA_SLOPE,
    L_OFFSET,
    L_SCALE,
    OFFSET,
    RGB_FROM_XYZ,
    WHITE_D65,
)

AB_GRID = 10.0  # a*b* units between bin centres (Zhang et al.)
AB_LIMIT = 110.0  # centres run from -AB_LIMIT to AB_LIMIT on both axes
# Lightness levels at which a centre is tested for being reachable in sRGB.
_LIGHTNESS_STEPS = 101
# A bin is in gamut when some colour inside it is: tested on a grid of this many points a side.
_BIN_PROBES = 5


@cache
def ab_bin_centres() -> np.ndarray:
    """The in-gamut a*b* bin centres, (Q, 2) float32 in Lab units, in a fixed order."""
    steps = np.arange(-AB_LIMIT, AB_LIMIT + AB_GRID / 2, AB_GRID, dtype=np.float64)
    a, b = np.meshgrid(steps, steps, indexing="ij")
    centres = np.stack([a.ravel(), b.ravel()], axis=1)
    # Points across each bin (its centre +- half a grid step): the bin holds in-gamut colours if any of them is.
    ticks = np.linspace(-AB_GRID / 2, AB_GRID / 2, _BIN_PROBES)
    offsets = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), axis=-1).reshape(-1, 2)
    probes = (centres[:, None, :] + offsets[None]).reshape(-1, 2)
    lightness = np.linspace(0.0, 100.0, _LIGHTNESS_STEPS)
    lab = np.empty((_LIGHTNESS_STEPS, len(probes), 3), dtype=np.float64)
    lab[..., 0] = lightness[:, None]
    lab[..., 1:] = probes[None]
    linear = _linear_rgb(lab)
    reachable = ((linear >= 0.0) & (linear <= 1.0)).all(axis=-1).any(axis=0)
    in_gamut = reachable.reshape(len(centres), len(offsets)).any(axis=1)
    return centres[in_gamut].astype(np.float32)


def _linear_rgb(lab: np.ndarray) -> np.ndarray:
    """Linear sRGB of Lab (..., 3), unclipped (the sRGB curve maps [0, 1] onto itself, so
    linear values in [0, 1] are exactly the displayable colours)."""
    fy = (lab[..., 0] + L_OFFSET) / L_SCALE
    f = np.stack([fy + lab[..., 1] / A_SCALE, fy, fy - lab[..., 2] / B_SCALE], axis=-1)
    xyz = np.where(f > F_INVERSE_THRESHOLD, f**3, (f - OFFSET) / KAPPA_SLOPE) * WHITE_D65
    return xyz @ RGB_FROM_XYZ.T


def colour_class_count() -> int:
    """Q, the number of in-gamut a*b* bins (a classification head's outputs)."""
    return len(ab_bin_centres())
