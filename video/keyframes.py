"""Keyframes: a colourist's colours for one frame, carried through its shot along the flow.

A keyframe is a time in the film and a colour image of that frame (a still, a frame
coloured in an editor or with our pins) and/or pins (`model.hints.Hint`). Its a*b*
travels through the keyframe's shot, forwards and backwards, along the same DIS flow
that steadies the film (`video.steady`):

- each frame's position in the keyframe is tracked by composing the frame-to-frame
  flows, so the keyframe's colour is sampled once (no blur from warping it again and
  again);
- the trust in that colour is checked directly: the keyframe's own lightness, carried
  the same way, must match the frame's (`Carrying.lightness_tolerance`); where it does
  not (occlusions, new objects, drift) the automatic colour shows through;
- at a shot cut its influence ends; between two keyframes of a shot each weighs by its
  distance in time (linear), beyond the first or last only the nearest counts;
- shots without a keyframe stay automatic.

A pins-only keyframe colorizes its frame with the pins (network and propagation, as a
photo), then is carried like an image. The work is a first pass over the film
(`carry_keyframes`) that decodes it at render resolution, finds the cuts as the
colorizing pass will, and keeps the carried colour and its weight for the frames of
shots that hold a keyframe (float16 at render resolution: about 0.7 MB a frame at
448x256); `KeyframeFields.apply` blends them over the steadied colour in the second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

import cv2
import numpy as np
from PIL import Image

from model.colorizer import Colorizer
from model.lab_numpy import rgb8_to_lightness, srgb8_to_lab
from model.preprocessing import render_shape, resize_lightness
from video.keyframe_input import (
    DUPLICATE_KEYFRAME_TIME,
    KEYFRAME_TIME_OUT_OF_RANGE,
    Keyframe,
    KeyframeError,
    check_aspect,
    check_keyframes,
)
from video.reader import DecodedFrame, VideoReader
from video.shots import ShotCutDetector
from video.steady import dis_flow, lightness_to_uint8


@dataclass(frozen=True)
class Carrying:
    """How a keyframe's colour is trusted as it travels (defaults chosen on benchmarks/bench_keyframes.py)."""

    lightness_tolerance: float = 8.0  # L* mismatch with the carried keyframe at which trust falls to 1/e
    smoothing: int = 5  # side of the Gaussian over L before comparing (codec noise is no mismatch)
    preset: str = "fast"  # DIS flow preset, as video.steady's
    # A film's pins spread this share of a photo's reach (model.propagation.Propagation.reach):
    # their correction is carried through the shot, so colour spread past the pinned object
    # travels with it; chosen on clips made from training photos (benchmarks/bench_film_pins.py).
    pin_reach: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 < self.pin_reach <= 1.0:
            raise ValueError(f"pin_reach must be in (0, 1], got {self.pin_reach}")


DEFAULT_CARRYING = Carrying()


def keyframe_ab(image: Image.Image, width: int, height: int, shape: tuple[int, int], where: str) -> np.ndarray:
    """The image's a*b* (2, h, w) at the render `shape` of a width x height film.

    Another size is resized; another aspect ratio is refused (KeyframeError).
    """
    check_aspect(image, width, height, where)
    rgb = image.convert("RGB").resize((shape[1], shape[0]), Image.Resampling.BILINEAR, reducing_gap=None)
    lab = srgb8_to_lab(np.asarray(rgb))
    return np.ascontiguousarray(np.moveaxis(lab[..., 1:], -1, 0), dtype=np.float32)


@dataclass
class KeyframeFields:
    """The carried keyframe colour of every frame in a keyframed shot."""

    # frame index -> (keyframe ab, its weight, pins' correction added on top)
    fields: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    keyframe_frames: list[int] = field(default_factory=list)  # the frame each keyframe landed on

    def apply(self, index: int, ab: np.ndarray) -> np.ndarray:
        """Frame `index`'s ab (2, h, w) with its keyframe colour blended in by its weight (and forgotten)."""
        carried = self.fields.pop(index, None)
        if carried is None:
            return ab
        key_ab, weight, correction = (part.astype(np.float32) for part in carried)
        return (key_ab * weight + ab * (1 - weight) + correction).astype(np.float32)


@dataclass
class _Shot:
    """The frames of the shot being read in the first pass."""

    start: int = 0
    lightness: list[np.ndarray] = field(default_factory=list)  # uint8 render-resolution L, for the flow
    keyframes: dict[int, tuple[Keyframe, np.ndarray]] = field(default_factory=dict)  # local index -> (keyframe, L*)


class _Carrier:
    """Carries the keyframes of one shot along the flow and writes their fields."""

    def __init__(self, colorizer: Colorizer, width: int, height: int, shape: tuple[int, int], settings: Carrying):
        self.colorizer = colorizer
        self.width, self.height, self.shape = width, height, shape
        self.settings = settings
        base = colorizer.propagation
        self.propagation = replace(base, reach=base.reach * settings.pin_reach) if base is not None else None
        self.flow = dis_flow(settings.preset)
        rows, columns = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
        self.grid = np.dstack([columns, rows])

    def _smooth(self, plane: np.ndarray) -> np.ndarray:
        side = self.settings.smoothing
        values = plane.astype(np.float32)
        return cv2.GaussianBlur(values, (side, side), 0) if side > 1 else values

    def keyframe_colour(self, keyframe: Keyframe, lightness: np.ndarray) -> np.ndarray:
        """The keyframe's ab at render resolution (its image's, its pins spread over it); for pins
        alone, the correction they make to the frame's automatic colour, carried and added to each
        frame's own, so a pin recolours its object and leaves the rest to the network."""
        where = f"keyframe at {keyframe.time:g} s"
        if keyframe.image is not None:
            ab = keyframe_ab(keyframe.image, self.width, self.height, self.shape, where)
            return self.colorizer.spread_hints(lightness, ab, keyframe.hints, self.propagation)
        inputs = np.stack([self.colorizer.network_input(lightness, hints) for hints in ((), keyframe.hints)])
        automatic, pinned = self.colorizer.predict_ab(inputs)
        return self.colorizer.spread_hints(lightness, pinned, keyframe.hints, self.propagation) - automatic

    def _track(
        self, frames: list[np.ndarray], start: int, stop: int, step: int, ab: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """(ab, weight) of frames start+step .. stop (inclusive), carried from frame `start`'s `ab`."""
        height, width = self.shape
        positions = self.grid.copy()  # where each pixel of the current frame lies in the keyframe
        key_l = self._smooth(frames[start])
        out = []
        flow = np.zeros((height, width, 2), dtype=np.float32)  # written by DIS, never read (no initial flow)
        for index in range(start + step, stop + step, step):
            # Backward flow: pixel x of this frame was at x + flow(x) in the one before it (towards the keyframe).
            flow = np.asarray(self.flow.calc(frames[index], frames[index - step], flow))
            sample = self.grid + flow
            positions = cv2.remap(positions, sample[..., 0], sample[..., 1], cv2.INTER_LINEAR, borderValue=-1e4)
            map_x, map_y = positions[..., 0], positions[..., 1]
            inside = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
            carried_l = cv2.remap(key_l, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            residual = (self._smooth(frames[index]) - carried_l) / np.float32(2.55)
            weight = np.exp(-np.square(residual / np.float32(self.settings.lightness_tolerance))) * inside
            carried = np.stack(
                [cv2.remap(plane, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) for plane in ab]
            )
            out.append((carried, weight.astype(np.float32)))
        return out

    def carry(self, shot: _Shot, fields: KeyframeFields) -> None:
        """Fill `fields` for every frame of the shot: each frame blends its neighbouring keyframes."""
        anchors = sorted(shot.keyframes)
        last = len(shot.lightness) - 1
        colours = {local: self.keyframe_colour(keyframe, small) for local, (keyframe, small) in shot.keyframes.items()}
        # Per frame: [(time weight, ab, trust, a correction?)] from the keyframes before and after it.
        parts: dict[int, list[tuple[float, np.ndarray, np.ndarray, bool]]] = {}
        pins_only = {local for local, (keyframe, _) in shot.keyframes.items() if keyframe.image is None}
        ones = np.ones(self.shape, dtype=np.float32)
        for position, anchor in enumerate(anchors):
            before = anchors[position - 1] if position > 0 else None
            after = anchors[position + 1] if position + 1 < len(anchors) else None
            correction = anchor in pins_only
            parts.setdefault(anchor, []).append((1.0, colours[anchor], ones, correction))
            forward_end = after - 1 if after is not None else last
            backward_end = before + 1 if before is not None else 0
            for offset, carried in enumerate(self._track(shot.lightness, anchor, forward_end, 1, colours[anchor])):
                frame = anchor + 1 + offset
                share = 1.0 if after is None else (after - frame) / (after - anchor)
                parts.setdefault(frame, []).append((share, *carried, correction))
            for offset, carried in enumerate(self._track(shot.lightness, anchor, backward_end, -1, colours[anchor])):
                frame = anchor - 1 - offset
                share = 1.0 if before is None else (frame - before) / (anchor - before)
                parts.setdefault(frame, []).append((share, *carried, correction))
        for frame, contributions in parts.items():
            zero = np.zeros((2, *self.shape), dtype=np.float32)
            weights = [share * trust for share, _, trust, correction in contributions if not correction]
            colours_in = [colour for _, colour, _, correction in contributions if not correction]
            total = np.sum(weights, axis=0) if weights else ones * 0
            ab = (
                np.sum([w * colour for w, colour in zip(weights, colours_in, strict=True)], axis=0) if weights else zero
            )
            ab = ab / np.maximum(total, np.float32(1e-6))
            added = sum(
                (share * trust * colour for share, colour, trust, correction in contributions if correction), zero
            )
            fields.fields[shot.start + frame] = (
                ab.astype(np.float16),
                np.clip(total, 0, 1).astype(np.float16),
                np.asarray(added, dtype=np.float16),
            )
        fields.keyframe_frames.extend(shot.start + anchor for anchor in anchors)


def _place(shot: _Shot, keyframe: Keyframe, lightness: np.ndarray) -> None:
    """Put the keyframe on the shot's latest frame (one keyframe a frame)."""
    local = len(shot.lightness) - 1
    if local in shot.keyframes:
        other = shot.keyframes[local][0].time
        raise KeyframeError(
            DUPLICATE_KEYFRAME_TIME, f"keyframes at {other:g} s and {keyframe.time:g} s fall on the same frame"
        )
    shot.keyframes[local] = (keyframe, lightness)


def _seconds(pts: int, first_pts: int, time_base: Fraction) -> float:
    return float((pts - first_pts) * time_base)


def carry_keyframes(
    colorizer: Colorizer,
    reader: VideoReader,
    keyframes: Sequence[Keyframe],
    render_size: int | None = None,
    cuts: bool = True,
    settings: Carrying = DEFAULT_CARRYING,
) -> KeyframeFields:
    """The first pass: decode `reader`'s film, find its shots and carry each keyframe through its own.

    Raises KeyframeError (a keyframe past the last frame, of another aspect ratio, ...)
    and VideoError as colorize_video does. The reader is read to its end.
    """
    ordered = check_keyframes(keyframes, reader.info.duration_s)
    fields = KeyframeFields()
    if not ordered:
        return fields
    size = colorizer.check_render_size(render_size)
    info = reader.info
    shape = render_shape(info.height, info.width, size)
    carrier = _Carrier(colorizer, info.width, info.height, shape, settings)
    detector = ShotCutDetector() if cuts else None
    pending = list(ordered)
    shot = _Shot()
    index = 0
    first_pts: int | None = None
    previous: tuple[float, np.ndarray] | None = None  # the last frame's time and render L*
    for item in reader.items():
        if not isinstance(item, DecodedFrame):
            continue
        first_pts = item.pts if first_pts is None else first_pts
        time = _seconds(item.pts, first_pts, info.time_base)
        small = resize_lightness(rgb8_to_lightness(item.rgb), shape)
        # A keyframe belongs to the frame nearest its time: the previous one, if closer than this one.
        while pending and previous is not None and pending[0].time < (previous[0] + time) / 2:
            _place(shot, pending.pop(0), previous[1])
        if detector is not None and detector(small) and shot.lightness:
            if shot.keyframes:
                carrier.carry(shot, fields)
            shot = _Shot(start=index)
        shot.lightness.append(lightness_to_uint8(small))
        previous = (time, small)
        index += 1
    if previous is not None:
        # Past the last frame by more than one frame's time: nothing of the film is there.
        frame_time = float(1 / info.rate) if info.rate else 0.0
        while pending and pending[0].time <= previous[0] + frame_time:
            _place(shot, pending.pop(0), previous[1])
    if pending:
        end = previous[0] if previous is not None else 0.0
        raise KeyframeError(
            KEYFRAME_TIME_OUT_OF_RANGE, f"keyframe at {pending[0].time:g} s is past the film's last frame ({end:.3f} s)"
        )
    if shot.keyframes:
        carrier.carry(shot, fields)
    return fields
