"""Video colorization: streaming decode and encode (PyAV), shot cuts, and steady colour (OpenCV flow).

    from model.colorizer import Colorizer
    from model.video import VideoOptions, colorize_video
    colorize_video(Colorizer.load(), "film.mkv", "film-colorized.mkv", VideoOptions(crf=20))

Needs the `video` extra (PyAV and opencv-python-headless), imported on first use of
what needs them: `model.video.formats` and `model.video.errors` need neither, so
callers can list and classify files without the extra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from model.video.colorize import VideoOptions, VideoProgress, VideoResult, colorize_video
    from model.video.reader import VideoInfo, probe
    from model.video.steady import DEFAULT_STEADYING, Steadying

from model.video.errors import VIDEO_ERROR_CODES, VideoCancelled, VideoError
from model.video.formats import VIDEO_SUFFIXES

_LAZY = {
    "VideoOptions": "model.video.colorize",
    "VideoProgress": "model.video.colorize",
    "VideoResult": "model.video.colorize",
    "colorize_video": "model.video.colorize",
    "VideoInfo": "model.video.reader",
    "probe": "model.video.reader",
    "Steadying": "model.video.steady",
    "DEFAULT_STEADYING": "model.video.steady",
}

__all__ = [
    "DEFAULT_STEADYING",
    "VIDEO_ERROR_CODES",
    "VIDEO_SUFFIXES",
    "Steadying",
    "VideoCancelled",
    "VideoError",
    "VideoInfo",
    "VideoOptions",
    "VideoProgress",
    "VideoResult",
    "colorize_video",
    "probe",
]


def __getattr__(name: str) -> Any:
    """PyAV and OpenCV load only when something that needs them is asked for."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
