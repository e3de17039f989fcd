"""A film's keyframes and pins on the command line: --keyframe SECONDS=IMAGE, --keyframes FILE.json, --hint on films.

    colorizer colorize film.mp4 --out out/ --keyframe 12.5=still.png --keyframe 40=other.png
    colorizer colorize film.mp4 --out out/ --keyframes keys.json   # [{"time": 12.5, "image": "still.png"},
                                                                   #  {"time": 3, "hints": [{"x": .., ...}]}]
    colorizer colorize film.mp4 --out out/ --hint 0.3,0.2,#4682c8  # pins on the first frame, carried through its shot

The flags are only split into `KeyframeSpec`s (plain values, so they pickle to Ray
workers); each film reads the images and checks everything itself (`film_keyframes`),
so a bad keyframe fails that film with a named code (video.keyframe_input's codes,
`invalid_hints`, `keyframe_unreadable`) while the run's other files go on.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import fsspec

from model.hints import Hint, HintError, parse_hints
from video.keyframe_input import Keyframe, KeyframeError, read_keyframe_image

INVALID_HINTS = "invalid_hints"
KEYFRAME_UNREADABLE = "keyframe_unreadable"


@dataclass(frozen=True)
class KeyframeSpec:
    """One keyframe as given: its time (checked per film), an image path or URL, raw pins (JSON values)."""

    time: Any
    image: str | None = None
    hints: Any = None


class KeyframeInputError(Exception):
    """A keyframe that fails the film it was given for: `code` and `message` go to the report."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_keyframe_flag(text: str) -> KeyframeSpec:
    """'12.5=still.png' -> KeyframeSpec(12.5, 'still.png'); the time's range is checked per film."""
    time_text, separator, image = text.partition("=")
    try:
        time = float(time_text)
    except ValueError:
        time = None
    if not separator or not image or time is None:
        raise argparse.ArgumentTypeError(f"--keyframe takes SECONDS=IMAGE (e.g. 12.5=still.png), got {text[:60]!r}")
    return KeyframeSpec(time, image)


def keyframes_file(path: str) -> tuple[KeyframeSpec, ...]:
    """--keyframes FILE.json: a list of {"time", "image"?, "hints"?}; images are relative to the file's folder."""
    try:
        with open(path, encoding="utf-8") as handle:
            entries = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise argparse.ArgumentTypeError(f"cannot read the keyframes file {path}: {error}") from None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise argparse.ArgumentTypeError(f'{path}: a JSON list of {{"time", "image", "hints"}} objects expected')
    folder = os.path.dirname(os.path.abspath(path))
    specs = []
    for index, entry in enumerate(entries):
        unknown = sorted(set(entry) - {"time", "image", "hints"})
        if unknown or "time" not in entry:
            raise argparse.ArgumentTypeError(f"{path}: keyframe {index} needs a time, and takes image and hints only")
        image = entry.get("image")
        if image is not None and not isinstance(image, str):
            raise argparse.ArgumentTypeError(f"{path}: keyframe {index}: image must be a path")
        if image is not None and "://" not in image:
            image = os.path.join(folder, image)
        specs.append(KeyframeSpec(entry["time"], image, entry.get("hints")))
    return tuple(specs)


def _read_image(spec: KeyframeSpec, where: str) -> Any:
    assert spec.image is not None
    try:
        with fsspec.open(spec.image, "rb") as handle:
            data = handle.read()
    except (OSError, ValueError) as error:
        raise KeyframeInputError(KEYFRAME_UNREADABLE, f"{where}: {spec.image} cannot be read ({error})") from None
    return read_keyframe_image(data, f"{where} ({os.path.basename(spec.image)})")


def film_keyframes(specs: Sequence[KeyframeSpec], first_frame_hints: Sequence[Hint] = ()) -> list[Keyframe]:
    """The keyframes for one film: images read, pins parsed; pins given without a time join the first frame's.

    Raises KeyframeInputError; times, colour and counts are checked by colorize_video (KeyframeError).
    """
    keyframes = []
    for index, spec in enumerate(specs):
        where = f"keyframe {index} (at {spec.time!r} s)"
        try:
            hints = tuple(parse_hints(spec.hints)) if spec.hints is not None else ()
            image = _read_image(spec, where) if spec.image is not None else None
        except HintError as error:
            raise KeyframeInputError(INVALID_HINTS, f"{where}: {error}") from None
        except KeyframeError as error:
            raise KeyframeInputError(error.code, error.message) from None
        keyframes.append(Keyframe(spec.time, image, hints))
    if first_frame_hints:
        at_start = [index for index, keyframe in enumerate(keyframes) if keyframe.time == 0]
        if at_start:
            first = keyframes[at_start[0]]
            keyframes[at_start[0]] = Keyframe(first.time, first.image, (*first.hints, *first_frame_hints))
        else:
            keyframes.append(Keyframe(0.0, hints=tuple(first_frame_hints)))
    return keyframes
