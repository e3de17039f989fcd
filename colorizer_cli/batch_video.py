"""Video files in the offline engines (local and Ray): one input film in, one colorized film out.

The glue between the batch side (`colorizer_cli.batch_io`: fsspec paths and URLs, stable
failure codes, resumable outputs) and the video core (`video`), kept apart from
both: a film is streamed from its URL (a local path directly, a remote one through an
fsspec file), written under a temporary name and put in place only when whole, so a
rerun skips exactly the films that are done. Any VideoError becomes a Failure with
its code; a missing video extra is reported per film, and photos still go on.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from colorizer_cli.batch_io import DEFAULT_OPTIONS, Failure, InputFile, OutputSettings
from colorizer_cli.film_keyframes import KeyframeInputError, KeyframeSpec, film_keyframes
from model.options import ColorizeOptions
from video.errors import VideoError
from video.keyframe_input import KeyframeError

NEEDS_VIDEO_EXTRA = "needs_video_extra"

# (frames done, frames expected) of the film in hand.
FrameCallback = Callable[[int, int], None]


def _video_module() -> Any:
    """video.colorize, or a Failure-worthy ImportError naming the extra."""
    try:
        from video import colorize as video
    except ImportError as error:
        raise ImportError(f"videos need the video extra: pip install '.[video]' ({error})") from None
    return video


def colorize_video_file(
    colorizer: Any,
    item: InputFile,
    output: OutputSettings,
    options: ColorizeOptions = DEFAULT_OPTIONS,
    on_frames: FrameCallback | None = None,
    keyframes: Sequence[KeyframeSpec] = (),
) -> Failure | None:
    """Colorize one film to its output (same container, `output.crf`); its Failure, or None when written.

    `options`: render size and vibrance, as for photos; its hints are pins on the film's first
    frame. `keyframes` (colorizer_cli.film_keyframes) colour their shots; a bad one fails this
    film with its code. The output's crf is `output`'s.
    """
    try:
        video = _video_module()
    except ImportError as error:
        return Failure(item.url, NEEDS_VIDEO_EXTRA, str(error))
    try:
        film_keys = film_keyframes(keyframes, options.hints)
    except KeyframeInputError as error:
        return Failure(item.url, error.code, error.message)
    video_options = video.VideoOptions(render_size=options.render_size, vibrance=options.vibrance, crf=output.crf)
    progress = None
    if on_frames is not None:
        callback = on_frames

        def progress(report: Any) -> None:
            callback(report.frames_done, report.frames_total)

    destination = output.url_for(item.relative)
    out_fs, out_path = fsspec.core.url_to_fs(destination)
    in_fs, in_path = fsspec.core.url_to_fs(item.url)
    try:
        if not in_fs.exists(in_path):
            return Failure(item.url, "not_found", "file not found")
        with _opened(in_fs, in_path) as source:
            if isinstance(out_fs, LocalFileSystem):
                os.makedirs(os.path.dirname(out_path) or ".", exist_ok=True)
                video.colorize_video(colorizer, source, out_path, video_options, progress=progress, keyframes=film_keys)
            else:
                _colorize_to_remote(video, colorizer, source, out_fs, out_path, video_options, progress, film_keys)
    except (VideoError, KeyframeError) as error:
        return Failure(item.url, error.code, error.message)
    except OSError as error:
        return Failure(item.url, "unreadable", f"could not be read or written ({error.__class__.__name__}: {error})")
    except Exception as error:  # noqa: BLE001 - a bad film must never stop the run
        return Failure(item.url, "colorize_failed", f"could not be colorized ({error.__class__.__name__}: {error})")
    return None


class _opened:
    """A local path as it is (FFmpeg reads it directly), anything else as an fsspec file object."""

    def __init__(self, fs: Any, path: str) -> None:
        self.fs, self.path = fs, path
        self.handle: Any = None

    def __enter__(self) -> Any:
        if isinstance(self.fs, LocalFileSystem):
            return self.path
        self.handle = self.fs.open(self.path, "rb")
        return self.handle

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            self.handle.close()


def _colorize_to_remote(
    video: Any, colorizer: Any, source: Any, fs: Any, path: str, options: Any, progress: Any, keyframes: Any
) -> None:
    """Write to a local temporary file, then one put: an object store never shows half a film."""
    suffix = posixpath.splitext(path)[1]
    with tempfile.TemporaryDirectory(prefix="colorize-video-") as folder:
        local = os.path.join(folder, f"film{suffix}")
        video.colorize_video(colorizer, source, local, options, progress=progress, keyframes=keyframes)
        fs.makedirs(posixpath.dirname(path), exist_ok=True)
        fs.put_file(local, path)
