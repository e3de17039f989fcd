"""Steady colour along time: each frame's colour carried forward along optical flow.

Per-frame colorization flickers: the network sees each frame afresh, and small changes
in the input move its colours. Here the colour shown for the previous frame is warped
onto the new one along dense optical flow (OpenCV's DIS flow, fast on a CPU) and
blended with the network's new prediction:

    ab_t = w * warp(ab_{t-1}) + (1 - w) * predicted_t,   w = carry * confidence

Confidence falls where the flow cannot be trusted: where the warped previous lightness
does not match the new one (occlusions, new objects, lighting changes), and where
the flow points outside the frame. The result is a running average of the predictions
along each point's motion, which keeps colours that the network is unsure about from
pulsing, while a new object gets the network's colour at once. The caller resets it at
each shot cut. Everything runs at the render resolution the network sees (a few
hundred pixels on the short side): colour is smooth, and the flow there costs a few
milliseconds per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


@dataclass(frozen=True)
class Steadying:
    """How strongly colour is carried from frame to frame (the defaults were chosen by measurement)."""

    carry: float = 0.9  # weight of the carried colour where the flow is fully trusted (0: per-frame)
    lightness_tolerance: float = 6.0  # L* mismatch after warping at which trust falls to 1/e
    preset: str = "fast"  # DIS flow preset: ultrafast, fast or medium

    def __post_init__(self) -> None:
        if not 0.0 <= self.carry < 1.0:
            raise ValueError(f"carry must be in [0, 1), got {self.carry}")
        if self.lightness_tolerance <= 0:
            raise ValueError("lightness_tolerance must be positive")
        if self.preset not in _PRESETS:
            raise ValueError(f"preset must be one of {', '.join(_PRESETS)}, got {self.preset!r}")


DEFAULT_STEADYING = Steadying()


def lightness_to_uint8(lightness: np.ndarray) -> np.ndarray:
    """L* 0..100 as the 0..255 plane DIS flow takes."""
    return np.clip(lightness * np.float32(2.55) + np.float32(0.5), 0, 255).astype(np.uint8)


def dis_flow(preset: str) -> cv2.DISOpticalFlow:
    """OpenCV's DIS optical flow at one of the presets (ultrafast, fast, medium)."""
    return cv2.DISOpticalFlow.create(_PRESETS[preset])


class ColourSteadier:
    """The running state of one shot: the previous frame's L and shown ab.

    Call it with every frame's render-resolution L (h, w) and predicted ab (2, h, w),
    in order; it returns the ab to show. `reset()` starts a new shot.
    """

    def __init__(self, settings: Steadying = DEFAULT_STEADYING) -> None:
        self.settings = settings
        self._flow = dis_flow(settings.preset)
        self._previous_l: np.ndarray | None = None
        self._previous_ab: np.ndarray | None = None
        self._grid: tuple[np.ndarray, np.ndarray] | None = None
        self._flow_out: np.ndarray | None = None
        self.last_confidence = 0.0  # mean trust in the carried colour for the latest frame

    def reset(self) -> None:
        self._previous_l = None
        self._previous_ab = None

    def _flow_buffer(self, height: int, width: int) -> np.ndarray:
        # Written by DIS (its initial-flow input is off, so the contents are never read).
        if self._flow_out is None or self._flow_out.shape[:2] != (height, width):
            self._flow_out = np.zeros((height, width, 2), dtype=np.float32)
        return self._flow_out

    def _grid_for(self, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        if self._grid is None or self._grid[0].shape != (height, width):
            rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
            self._grid = (columns, rows)
        return self._grid

    def __call__(self, lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
        current = lightness_to_uint8(lightness)
        previous_l, previous_ab = self._previous_l, self._previous_ab
        if previous_l is None or previous_ab is None or previous_l.shape != current.shape:
            shown = np.ascontiguousarray(ab, dtype=np.float32)
            self.last_confidence = 0.0
        else:
            shown = self._blend(current, previous_l, previous_ab, ab)
        self._previous_l, self._previous_ab = current, shown
        return shown

    def _blend(
        self, current: np.ndarray, previous_l: np.ndarray, previous_ab: np.ndarray, ab: np.ndarray
    ) -> np.ndarray:
        height, width = current.shape
        # Backward flow: current pixel x was at x + flow(x) in the previous frame.
        flow = np.asarray(self._flow.calc(current, previous_l, self._flow_buffer(height, width)))
        columns, rows = self._grid_for(height, width)
        map_x = columns + flow[..., 0]
        map_y = rows + flow[..., 1]
        warped_l = cv2.remap(previous_l, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        residual = (current.astype(np.float32) - warped_l.astype(np.float32)) / np.float32(2.55)
        confidence = np.exp(-np.square(residual / np.float32(self.settings.lightness_tolerance)))
        inside = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
        confidence *= inside
        weight = (np.float32(self.settings.carry) * confidence).astype(np.float32)
        self.last_confidence = float(confidence.mean())
        shown = np.empty((2, height, width), dtype=np.float32)
        for channel in range(2):
            carried = cv2.remap(previous_ab[channel], map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            shown[channel] = carried * weight + ab[channel] * (1 - weight)
        return shown
