"""Video colorization: streaming decode and encode (PyAV), shot cuts, and steady colour (OpenCV flow).

    from model.colorizer import Colorizer
    from video import VideoOptions, colorize_video
    colorize_video(Colorizer.load(), "film.mkv", "film-colorized.mkv", VideoOptions(crf=20))

Needs the `video` extra (PyAV and opencv-python-headless), imported on first use of
what needs them: `video.formats` and `video.errors` need neither, so
callers can list and classify files without the extra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from video.colorize import VideoOptions, VideoProgress, VideoResult, colorize_video
    from video.keyframe_input import Keyframe, KeyframeError
    from video.reader import VideoInfo, probe
    from video.steady import DEFAULT_STEADYING, Steadying

from video.errors import VIDEO_ERROR_CODES, VideoCancelled, VideoError
from video.formats import VIDEO_SUFFIXES

_LAZY = {
    "VideoOptions": "video.colorize",
    "VideoProgress": "video.colorize",
    "VideoResult": "video.colorize",
    "colorize_video": "video.colorize",
    "VideoInfo": "video.reader",
    "probe": "video.reader",
    "Steadying": "video.steady",
    "Keyframe": "video.keyframe_input",
    "KeyframeError": "video.keyframe_input",
    "DEFAULT_STEADYING": "video.steady",
}

__all__ = [
    "DEFAULT_STEADYING",
    "VIDEO_ERROR_CODES",
    "VIDEO_SUFFIXES",
    "Keyframe",
    "KeyframeError",
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
