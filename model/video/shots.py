"""Shot cuts: where a film jumps to another scene, so that no colour is carried across.

A cut changes what is in the frame at once, so the lightness histogram of the frame
jumps; within a shot (pans, zooms, people moving, fades) it drifts. The detector
compares each frame's L histogram with the previous frame's (total-variation
distance, 0 same .. 1 disjoint) and calls a cut above a threshold. It works on the
render-resolution L the network already gets, so it costs a histogram per frame.
"""

from __future__ import annotations

import numpy as np

HISTOGRAM_BINS = 32
# Chosen on real footage and on clips spliced from different scenes (MODEL_CARD.md,
# "Video"): within-shot frame pairs of those clips stay below 0.2, cuts are above 0.45.
DEFAULT_CUT_THRESHOLD = 0.35


def lightness_histogram(lightness: np.ndarray) -> np.ndarray:
    """The share of pixels in each of HISTOGRAM_BINS equal bins of L* 0..100."""
    counts, _ = np.histogram(lightness, bins=HISTOGRAM_BINS, range=(0.0, 100.0))
    return counts / max(1, lightness.size)


def histogram_distance(first: np.ndarray, second: np.ndarray) -> float:
    """Total-variation distance between two histograms (0 .. 1)."""
    return 0.5 * float(np.abs(first - second).sum())


class ShotCutDetector:
    """Feed it every frame's L in order; it answers whether that frame starts a new shot.

    The first frame always does.
    """

    def __init__(self, threshold: float = DEFAULT_CUT_THRESHOLD) -> None:
        self.threshold = threshold
        self._previous: np.ndarray | None = None

    def __call__(self, lightness: np.ndarray) -> bool:
        histogram = lightness_histogram(lightness)
        previous, self._previous = self._previous, histogram
        return previous is None or histogram_distance(previous, histogram) > self.threshold
