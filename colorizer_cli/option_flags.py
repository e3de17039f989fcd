"""The colorize options (model.options) as command-line flags: --render-size, --format, --quality,
--vibrance, and the hints as --hint X,Y,#rrggbb (repeatable) or --hints FILE.JSON; and the film
options (video.options.VIDEO_OPTIONS): --crf, and the keyframes (colorizer_cli.film_keyframes):
--keyframe SECONDS=IMAGE (repeatable) and --keyframes FILE.json.

Bounds, defaults and descriptions come from the options table, so the CLI takes exactly
what the REST API takes and says so in --help.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from colorizer_cli.film_keyframes import keyframes_file, parse_keyframe_flag
from model.hints import MAX_HINTS, Hint, HintError, parse_color
from model.options import COLORIZE_OPTIONS, HINTS, ColorizeOptions, Option, OptionError
from video.options import VIDEO_OPTIONS

HINT_FORMAT = "X,Y,#rrggbb"
# A hint coordinate as a flag: a plain decimal 0..1 (the same strictness as every numeric option).
HINTS_COORDINATE = Option("hint", "number", "hint coordinate", minimum=0.0, maximum=1.0)


def flag_of(option: Option) -> str:
    """The option's flag: its API name with dashes (render_size -> --render-size)."""
    return "--" + option.name.replace("_", "-")


def _flag_type(option: Option) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return option.parse(text.strip())
        except OptionError as error:
            raise argparse.ArgumentTypeError(error.message) from None

    parse.__name__ = option.kind  # argparse names the type in its "invalid ... value" message
    return parse


def parse_hint_flag(text: str) -> Hint:
    """'0.25,0.6,#a03020' -> Hint(0.25, 0.6, (160, 48, 32))."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"--hint takes {HINT_FORMAT} (x, y from 0 to 1), got {text[:40]!r}")
    try:
        x, y = (HINTS_COORDINATE.parse(part) for part in parts[:2])
        return Hint(x, y, parse_color(parts[2], "--hint"))
    except (OptionError, HintError) as error:
        raise argparse.ArgumentTypeError(f"--hint {text[:40]!r}: {error}") from None


def _hints_file(text: str) -> tuple[Hint, ...]:
    try:
        content = Path(text).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise argparse.ArgumentTypeError(f"cannot read the hints file {text}: {error}") from None
    try:
        return HINTS.parse(content)
    except OptionError as error:
        raise argparse.ArgumentTypeError(f"{text}: {error.message}") from None


def _add_flag(group: argparse._ArgumentGroup, option: Option) -> None:
    bounds = f" From {option.bounds[0]:g} to {option.bounds[1]:g}." if option.kind in ("integer", "number") else ""
    group.add_argument(
        flag_of(option),
        dest=option.name,
        type=_flag_type(option),
        default=option.default,
        choices=option.choices or None,
        metavar=option.name.upper() if option.kind != "choice" else None,
        help=option.description + bounds,
    )


def add_option_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per colorize option, in a group of its own; the video options in another."""
    group = parser.add_argument_group("colorize options (the same as the REST API's)")
    for option in COLORIZE_OPTIONS:
        if option is not HINTS:
            _add_flag(group, option)
    group.add_argument(
        "--hint",
        dest="hint_list",
        action="append",
        type=parse_hint_flag,
        default=[],
        metavar=HINT_FORMAT,
        help="a colour hint: this spot (x from the left, y from the top, 0 to 1) should be this colour; "
        f"repeat it for more (at most {MAX_HINTS}). Only for a model that takes hints. On a film, the pins "
        "apply at its first frame and follow the objects through its first shot.",
    )
    group.add_argument(
        "--hints",
        dest="hints_file",
        type=_hints_file,
        default=None,
        metavar="FILE.json",
        help='colour hints from a JSON file: [{"x": 0.25, "y": 0.6, "color": "#a03020"}, ...] '
        "(the API's `hints`); added after any --hint",
    )
    video_group = parser.add_argument_group("video options (films only; needs the video extra)")
    for option in VIDEO_OPTIONS:
        _add_flag(video_group, option)
    video_group.add_argument(
        "--keyframe",
        dest="keyframe_list",
        action="append",
        type=parse_keyframe_flag,
        default=[],
        metavar="SECONDS=IMAGE",
        help="a colour image of the film's frame at SECONDS (a still, a frame coloured elsewhere): its colours "
        "carry through its shot, forwards and backwards; repeat it for more (video.keyframe_input.MAX_KEYFRAMES)",
    )
    video_group.add_argument(
        "--keyframes",
        dest="keyframes_file",
        type=keyframes_file,
        default=None,
        metavar="FILE.json",
        help='keyframes from a JSON file: [{"time": 12.5, "image": "still.png"}, {"time": 3, "hints": [...]}] '
        "(images relative to the file); added after any --keyframe",
    )


def options_from_args(args: argparse.Namespace) -> ColorizeOptions:
    """The parsed flags as ColorizeOptions; ValueError when there are too many hints."""
    hints = (*args.hint_list, *(args.hints_file or ()))
    if len(hints) > MAX_HINTS:
        raise ValueError(f"at most {MAX_HINTS} hints are allowed, got {len(hints)}")
    values = {option.name: getattr(args, option.name) for option in COLORIZE_OPTIONS if option is not HINTS}
    return ColorizeOptions(**values, hints=hints)
