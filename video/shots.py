"""Shot cuts: where a film jumps to another scene, so that no colour is carried across.

A cut changes what is in the frame at once; within a shot (pans, zooms, people moving)
the picture drifts. Two cheap signals on the render-resolution L the network already
gets, each compared with the previous frame's:

- the mean L* difference of 16x9 thumbnails: large when every part of the frame changes
  at once (a cut), small for motion, which moves detail but keeps the layout;
- the total-variation distance of the L histograms (0 same .. 1 disjoint): large for a
  jump in exposure or content (a cut between similar layouts, a flash).

A frame starts a new shot when either is above its threshold.
"""

from __future__ import annotations

import numpy as np

from model.preprocessing import resize_lightness

HISTOGRAM_BINS = 32
THUMBNAIL_SHAPE = (9, 16)
# Measured on the real footage of benchmarks/video_clips.py (docs/model-history.md, "Shot cuts"):
# the five cuts of bikes.mp4 give thumbnail differences of 15-31 L* and histogram distances
# of 0.22-0.72; within shots, fast motion included, no frame passes 6.1 L* and 0.12.
DEFAULT_THUMBNAIL_THRESHOLD = 10.0
DEFAULT_HISTOGRAM_THRESHOLD = 0.3


def lightness_histogram(lightness: np.ndarray) -> np.ndarray:
    """The share of pixels in each of HISTOGRAM_BINS equal bins of L* 0..100."""
    counts, _ = np.histogram(lightness, bins=HISTOGRAM_BINS, range=(0.0, 100.0))
    return counts / max(1, lightness.size)


def histogram_distance(first: np.ndarray, second: np.ndarray) -> float:
    """Total-variation distance between two histograms (0 .. 1)."""
    return 0.5 * float(np.abs(first - second).sum())


class ShotCutDetector:
    """Feed it every frame's L* (H, W) in order; it answers whether that frame starts a new shot.

    The first frame always does.
    """

    def __init__(
        self,
        thumbnail_threshold: float = DEFAULT_THUMBNAIL_THRESHOLD,
        histogram_threshold: float = DEFAULT_HISTOGRAM_THRESHOLD,
    ) -> None:
        self.thumbnail_threshold = thumbnail_threshold
        self.histogram_threshold = histogram_threshold
        self._previous: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, lightness: np.ndarray) -> bool:
        current = (resize_lightness(lightness, THUMBNAIL_SHAPE), lightness_histogram(lightness))
        previous, self._previous = self._previous, current
        if previous is None:
            return True
        return (
            float(np.abs(current[0] - previous[0]).mean()) > self.thumbnail_threshold
            or histogram_distance(previous[1], current[1]) > self.histogram_threshold
        )
