"""Edge-aware propagation of colour hints over the network's prediction (training-free).

After Levin, Lischinski and Weiss 2004, "Colorization using Optimization": neighbouring
pixels of similar lightness should have similar colour. Here the unknown is the
*correction* r to the network's ab, not the ab itself, so the network stays the prior
away from the hints:

    minimise  sum over neighbours p~q of w_pq (r_p - r_q)^2      (smooth along L, free across edges)
            + lam * sum_p r_p^2                                    (fade back to the network's colours)
            + mu  * sum over hint pixels of (r_p - (hint_p - ab_p))^2

with w_pq = exp(-(L_p - L_q)^2 / (2 sigma^2)) on the 4-neighbour grid. A hint therefore
recolours the region around it up to its lightness edges and fades out over a distance
set by lam. The linear system (graph Laplacian + lam I + mu M) r = mu M d is symmetric
positive definite and is solved by conjugate gradients with a Jacobi preconditioner, in
NumPy, at a working resolution of at most `work_side` pixels on the short side (the
correction is smooth, and the solve grows faster than the pixel count). Conjugate
gradients move information one pixel per iteration, so the grid is solved coarse to
fine: each level starts from the coarser level's answer and only refines it.

`spread_hints` is the whole step as the Colorizer takes it (hints grouped by reach, a
chroma gain yielding where they reach); the browser's port (frontend/src/features/device/
propagation.ts) is compared with it on the same inputs (tools/device_fixtures.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from model.hints import Hint, by_reach, paint_hints
from model.lab_numpy import DEFAULT_NORMALIZATION, LabNormalization


@dataclass(frozen=True)
class Propagation:
    """How far and how freely hint corrections spread."""

    # Defaults chosen on 24 train_extra photos with 10 ground-truth hints (docs/model-history.md):
    # PSNR rises with reach; sigma 3 keeps a pin's colour inside its object where 6 bleeds.
    sigma: float = 3.0  # L* difference at which neighbours decouple (edges stop the colour)
    reach: float = 1.0  # fade-out distance of a correction, as a share of the image's short side
    hint_weight: float = 10.0  # mu: how hard the hint pixels hold their colour
    work_side: int = 128  # short side of the finest grid the system is solved on
    coarse_side: int = 16  # short side of the coarsest grid
    tolerance: float = 3e-3  # relative residual at which CG stops on each level
    max_iterations: int = 40  # per level: the coarser level's answer is already close


DEFAULT_PROPAGATION = Propagation()


def _area_downsample(plane: np.ndarray, factor: int) -> np.ndarray:
    """Mean over factor x factor blocks of the last two axes (the size must divide)."""
    *lead, height, width = plane.shape
    blocks = plane.reshape(*lead, height // factor, factor, width // factor, factor)
    return blocks.mean(axis=(-3, -1))


def _edge_weights(lightness: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    scale = np.float32(-0.5 / sigma**2)
    vertical = np.exp(np.square(np.diff(lightness, axis=0)) * scale).astype(np.float32)
    horizontal = np.exp(np.square(np.diff(lightness, axis=1)) * scale).astype(np.float32)
    return vertical, horizontal


class _GridOperator:
    """The system matrix A = D - W + lam I + mu M of one grid, applied without building it.

    D is the weighted degree and W the weighted 4-neighbour adjacency; buffers are
    reused across the conjugate-gradient iterations.
    """

    def __init__(self, lightness: np.ndarray, mask: np.ndarray, settings: Propagation) -> None:
        self.vertical, self.horizontal = _edge_weights(lightness.astype(np.float32), settings.sigma)
        height, width = lightness.shape
        decay = np.float32(1.0 / (settings.reach * min(height, width)) ** 2)
        self.hold = (settings.hint_weight * mask).astype(np.float32)
        diagonal = np.full((height, width), decay, dtype=np.float32)
        diagonal += self.hold
        diagonal[1:] += self.vertical
        diagonal[:-1] += self.vertical
        diagonal[:, 1:] += self.horizontal
        diagonal[:, :-1] += self.horizontal
        self.diagonal = diagonal
        self._scratch: np.ndarray | None = None

    def __call__(self, values: np.ndarray, out: np.ndarray) -> np.ndarray:
        """A applied to each plane of values (C, H, W), into out."""
        np.multiply(values, self.diagonal, out=out)
        if self._scratch is None or self._scratch.shape != values.shape:
            self._scratch = np.empty_like(values, dtype=np.float32)
        scratch = self._scratch
        np.multiply(values[:, :-1], self.vertical, out=scratch[:, 1:])
        out[:, 1:] -= scratch[:, 1:]
        np.multiply(values[:, 1:], self.vertical, out=scratch[:, :-1])
        out[:, :-1] -= scratch[:, :-1]
        np.multiply(values[:, :, :-1], self.horizontal, out=scratch[:, :, 1:])
        out[:, :, 1:] -= scratch[:, :, 1:]
        np.multiply(values[:, :, 1:], self.horizontal, out=scratch[:, :, :-1])
        out[:, :, :-1] -= scratch[:, :, :-1]
        return out


def _dot(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per-channel inner products of (C, H, W) arrays, shaped (C, 1, 1)."""
    return np.einsum("chw,chw->c", first, second).reshape(-1, 1, 1)


def solve_correction(
    lightness: np.ndarray,
    target: np.ndarray,
    mask: np.ndarray,
    settings: Propagation = DEFAULT_PROPAGATION,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """The correction field (C, H, W) on one grid: target (C, H, W) holds the wanted
    correction where mask (H, W) > 0 (its weight); lightness (H, W) is L*; `start` is
    the initial guess (zeros by default)."""
    apply = _GridOperator(lightness, mask, settings)
    rhs = (apply.hold * target).astype(np.float32)
    product = np.empty_like(rhs)
    if start is None:
        solution = np.zeros_like(rhs)
        residual = rhs.copy()
    else:
        solution = start.astype(np.float32)
        residual = rhs - apply(solution, product)
    limit = settings.tolerance * float(np.sqrt(np.vdot(rhs, rhs))) + 1e-12
    preconditioned = residual / apply.diagonal
    direction = preconditioned.copy()
    rho = _dot(residual, preconditioned)
    for _ in range(settings.max_iterations):
        apply(direction, product)
        alpha = rho / (_dot(direction, product) + 1e-30)
        solution += alpha * direction
        residual -= alpha * product
        if float(np.sqrt(np.vdot(residual, residual))) < limit:
            break
        np.divide(residual, apply.diagonal, out=preconditioned)
        rho_next = _dot(residual, preconditioned)
        direction *= rho_next / (rho + 1e-30)
        direction += preconditioned
        rho = rho_next
    return solution


def _bilinear_upsample(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """(C, h, w) -> (C, height, width), sampling as F.interpolate(bilinear, align_corners=False)."""

    def axis(source: int, target: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        position = np.maximum((np.arange(target) + 0.5) * source / target - 0.5, 0.0)
        low = np.minimum(position.astype(np.intp), source - 1)
        high = np.minimum(low + 1, source - 1)
        return low, high, (position - low).astype(np.float32)

    top, bottom, row_weight = axis(values.shape[-2], height)
    left, right, column_weight = axis(values.shape[-1], width)
    rows = values[:, top] + (values[:, bottom] - values[:, top]) * row_weight[:, None]
    return rows[:, :, left] + (rows[:, :, right] - rows[:, :, left]) * column_weight


def propagate_hints(
    lightness: np.ndarray,
    ab: np.ndarray,
    hint_ab: np.ndarray,
    hint_mask: np.ndarray,
    settings: Propagation = DEFAULT_PROPAGATION,
) -> np.ndarray:
    """The network's ab (2, H, W, Lab units) corrected towards the hints and spread along L.

    lightness: (H, W) L* at the same resolution; hint_ab: (2, H, W) the hints' a*, b*
    (Lab units) where hint_mask (H, W) is 1. Without hints, ab comes back unchanged.
    """
    if not np.any(hint_mask > 0):
        return ab
    covered = (hint_mask > 0).astype(np.float32)
    return ab + _spread(lightness, (hint_ab - ab) * covered, covered, settings)


def hint_presence(
    lightness: np.ndarray, hint_mask: np.ndarray, settings: Propagation = DEFAULT_PROPAGATION
) -> np.ndarray:
    """How far the hints reach, (H, W) in [0, 1]: 1 on and around them, fading along L as a
    correction fades (the same system, spreading a correction of 1 from every hint pixel).
    Zero everywhere without hints."""
    covered = (hint_mask > 0).astype(np.float32)
    if not np.any(covered):
        return np.zeros_like(covered)
    return np.clip(_spread(lightness, covered[None], covered, settings)[0], 0.0, 1.0)


def spread_hints(
    lightness: np.ndarray,
    ab: np.ndarray,
    hints: Sequence[Hint],
    settings: Propagation = DEFAULT_PROPAGATION,
    normalization: LabNormalization = DEFAULT_NORMALIZATION,
    chroma_gain: float = 1.0,
) -> np.ndarray:
    """ab (2, h, w, Lab units, as the network gave it) corrected towards the hints along
    lightness (h, w) L*, both at render resolution; without hints, ab itself.

    One propagation per reach (`model.hints.by_reach`), widest first, each with the reach's
    share of `settings.reach`, so narrower pins correct what wider ones spread. A model
    decoding with a chroma gain (GeneratorConfig.chroma_gain) scales up colour it hedged;
    where the pins reach, their colour replaces the hedge: the correction is made on the
    colour as trained (ab / gain) and the gain fades by the pins' presence (`hint_presence`,
    the largest over the reaches), so pins do not carry the gain's scaled wrong hues around
    them. With a gain of 1 that is the plain propagation.
    """
    if not hints:
        return ab
    height, width = lightness.shape
    painted = paint_hints(hints, height, width, normalization=normalization)
    hint_ab = normalization.denormalize_ab(painted[:2])
    gain = np.float32(chroma_gain)
    if chroma_gain != 1.0:
        ab = ab / gain
    presence = np.zeros((height, width), dtype=np.float32)
    groups = by_reach(hints)
    for share, group in groups:
        # One reach (the usual case): the painted mask already holds exactly these hints.
        mask = painted[2] if len(groups) == 1 else paint_hints(group, height, width)[2]
        reached = replace(settings, reach=settings.reach * share)
        ab = propagate_hints(lightness, ab, hint_ab, mask, reached)
        if chroma_gain != 1.0:
            presence = np.maximum(presence, hint_presence(lightness, mask, reached))
    if chroma_gain != 1.0:
        ab = ab * (1.0 + (gain - 1.0) * (1.0 - presence))
    return np.ascontiguousarray(ab, dtype=np.float32)


def _spread(lightness: np.ndarray, wanted: np.ndarray, covered: np.ndarray, settings: Propagation) -> np.ndarray:
    """The field (C, H, W) that holds `wanted` (C, H, W) on the covered pixels and spreads it
    along L, solved coarse to fine."""
    height, width = lightness.shape
    levels = [(lightness.astype(np.float32), wanted.astype(np.float32), covered)]
    # Halve while the grid is above the working size (finest level) or the coarse size.
    while True:
        level_l, level_sum, level_cover = levels[-1]
        side = min(level_l.shape)
        if side // 2 < settings.coarse_side or level_l.shape[0] % 2 or level_l.shape[1] % 2:
            break
        levels.append((_area_downsample(level_l, 2), _area_downsample(level_sum, 2), _area_downsample(level_cover, 2)))
    finest = 0
    while finest + 1 < len(levels) and min(levels[finest][0].shape) > settings.work_side:
        finest += 1
    solution = None
    for level_l, level_sum, level_cover in reversed(levels[finest:]):
        # Block means of the wanted correction over the hinted pixels only.
        target = np.where(level_cover > 0, level_sum / np.maximum(level_cover, 1e-12), 0.0).astype(np.float32)
        start = None if solution is None else _bilinear_upsample(solution, *level_l.shape)
        solution = solve_correction(level_l, target, level_cover, settings, start)
    assert solution is not None  # levels[finest:] is never empty
    if solution.shape[1:] != (height, width):
        solution = _bilinear_upsample(solution, height, width)
    return solution
