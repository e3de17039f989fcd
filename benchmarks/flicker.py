"""Flicker and fidelity of colorized video: CDC and PSNR, streaming over frames.

CDC (colour distribution consistency, as ColorMNet and TCVC evaluate video
colorization): for frame pairs 1, 2 and 4 apart, the Jensen-Shannon divergence
(base 2, so 0 .. 1) between the two frames' 256-bin histograms of each RGB
channel, averaged over channels and pairs, then over the three gaps. Lower is
steadier. A still scene filmed by a moving camera keeps its colour distribution, so
any CDC above the ground truth's is flicker the colorizer added ("excess flicker").

Across a shot cut the colours change because the content does, and a colorizer's
result, less colourful than the truth, changes less there: counted, cuts would
swamp the flicker of cut-heavy footage (a trailer with a cut a second gives a
per-frame result *below* the truth's CDC). So a frame added with `shot_start=True`
pairs with no frame before it: CDC is measured within shots.

Both measures take frames one at a time (`CdcMeter.add`, `PsnrMeter.add`), so a
film of any length costs three histograms per gap, not its frames.
"""

from __future__ import annotations

from collections import deque

import numpy as np

CDC_GAPS = (1, 2, 4)
HISTOGRAM_BINS = 256


def channel_histograms(rgb: np.ndarray) -> np.ndarray:
    """(3, 256) per-channel histograms of an (H, W, 3) uint8 frame, each summing to 1."""
    flat = rgb.reshape(-1, 3)
    counts = np.stack([np.bincount(flat[:, channel], minlength=HISTOGRAM_BINS) for channel in range(3)])
    return counts / max(1, flat.shape[0])


def jensen_shannon(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Base-2 JS divergence between distributions along the last axis (0 same .. 1 disjoint)."""
    middle = 0.5 * (first + second)

    def kl(p: np.ndarray) -> np.ndarray:
        ratio = np.divide(p, middle, out=np.ones_like(p), where=p > 0)
        return np.sum(p * np.log2(ratio), axis=-1)

    return 0.5 * kl(first) + 0.5 * kl(second)


class CdcMeter:
    """Feed frames in order with `add`; `value()` is the clip's CDC so far."""

    def __init__(self, gaps: tuple[int, ...] = CDC_GAPS) -> None:
        self.gaps = gaps
        self._recent: deque[np.ndarray] = deque(maxlen=max(gaps))
        self._sums = dict.fromkeys(gaps, 0.0)
        self._counts = dict.fromkeys(gaps, 0)

    def add(self, rgb: np.ndarray, shot_start: bool = False) -> None:
        histograms = channel_histograms(rgb)
        if shot_start:
            self._recent.clear()
        for gap in self.gaps:
            if len(self._recent) >= gap:
                self._sums[gap] += float(jensen_shannon(self._recent[-gap], histograms).mean())
                self._counts[gap] += 1
        self._recent.append(histograms)

    def value(self) -> float:
        """Mean over the gaps of the mean divergence at each gap (NaN before 2 frames)."""
        means = [self._sums[gap] / self._counts[gap] for gap in self.gaps if self._counts[gap]]
        return float(np.mean(means)) if means else float("nan")


def cdc(frames: list[np.ndarray], shot_starts: frozenset[int] = frozenset()) -> float:
    """CDC of a list of (H, W, 3) uint8 frames (for short clips and tests), within the shots that
    begin at the indices `shot_starts`."""
    meter = CdcMeter()
    for index, frame in enumerate(frames):
        meter.add(frame, shot_start=index in shot_starts)
    return meter.value()


class PsnrMeter:
    """Mean per-frame PSNR (dB, 8-bit RGB) of colorized frames against the true ones."""

    def __init__(self) -> None:
        self._total = 0.0
        self._frames = 0

    def add(self, result: np.ndarray, truth: np.ndarray) -> None:
        error = np.mean(np.square(result.astype(np.float32) - truth.astype(np.float32)))
        self._total += 10 * np.log10(255.0**2 / max(float(error), 1e-10))
        self._frames += 1

    def value(self) -> float:
        return self._total / self._frames if self._frames else float("nan")
