"""Colorize a whole video, streaming: decode a few frames, colorize them, encode them, repeat.

    from model.colorizer import Colorizer
    from video import colorize_video
    colorizer = Colorizer.load()
    result = colorize_video(colorizer, "clip.mp4", "clip-colorized.mp4", progress=print)

Each frame goes through the same steps as a photo (its L kept at full resolution, the
network at the render size, ab upsampled and composed), with one step between the
network and composing: the colour steadier (`video.steady`), reset at every shot
cut (`video.shots`). Progress is a callback and cancellation a callable, so a CLI
bar, a job queue or a notebook can drive it; nothing here imports argparse, tqdm, fsspec
or Ray. Memory is one batch of frames plus what FFmpeg buffers, whatever the length.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO

import numpy as np

from model.colorizer import Colorizer, check_vibrance
from model.lab_numpy import rgb8_to_lightness
from model.options import VIBRANCE
from model.preprocessing import compose, render_shape, resize_lightness
from video.errors import ENCODE_FAILED, VideoCancelled, VideoError
from video.formats import check_crf, container_for
from video.keyframe_input import Keyframe
from video.keyframes import DEFAULT_CARRYING, Carrying, KeyframeFields, carry_keyframes
from video.options import CRF
from video.reader import MAX_FRAME_PIXELS, DecodedFrame, Source, VideoInfo, VideoReader
from video.shots import ShotCutDetector
from video.steady import DEFAULT_STEADYING, ColourSteadier, Steadying
from video.writer import VideoWriter

# Frames that go through the network together: enough to keep the cores busy, few enough
# that memory stays small at 4K.
DEFAULT_BATCH_FRAMES = 4


@dataclass(frozen=True)
class VideoOptions:
    """How a video is colorized and written. `steadying=None` colours every frame on its own."""

    render_size: int | None = None  # short side the network sees (None: the model's)
    vibrance: float = VIBRANCE.default  # chroma scale, as for photos (model.options.VIBRANCE)
    crf: int = CRF.default  # quality on x264's scale (video.options.CRF), mapped for other codecs
    steadying: Steadying | None = DEFAULT_STEADYING
    cuts: bool = True  # reset the steadier at shot cuts (video.shots)
    carrying: Carrying = DEFAULT_CARRYING  # how keyframes and pins travel through their shots
    batch_frames: int = DEFAULT_BATCH_FRAMES
    max_pixels: int = MAX_FRAME_PIXELS  # per frame; larger videos are refused
    max_frames: int | None = None  # counted while decoding: past it, VideoError too_many_frames
    max_duration_s: float | None = None  # timestamps while decoding: past it, VideoError too_long


@dataclass(frozen=True)
class VideoProgress:
    """Reported after every batch of frames."""

    frames_done: int
    frames_total: int  # the header's count or an estimate from the duration; 0 when unknown
    shots: int  # shots begun so far
    elapsed_s: float


@dataclass(frozen=True)
class VideoResult:
    """What was written."""

    frames: int
    shots: int
    info: VideoInfo  # the input's
    audio_streams: int  # audio streams carried over
    elapsed_s: float
    cut_frames: list[int] = field(default_factory=list)  # index of each frame that began a shot
    keyframe_frames: list[int] = field(default_factory=list)  # the frame each keyframe was placed on


ProgressCallback = Callable[[VideoProgress], None]
CancelCheck = Callable[[], bool]


class _Pipeline:
    """The per-frame work between reader and writer, batched for the network."""

    def __init__(
        self,
        colorizer: Colorizer,
        info: VideoInfo,
        options: VideoOptions,
        writer: VideoWriter,
        keyframes: KeyframeFields | None = None,
    ) -> None:
        self.colorizer = colorizer
        self.options = options
        self.writer = writer
        size = colorizer.check_render_size(options.render_size)
        self.shape = render_shape(info.height, info.width, size)
        self.steadier = ColourSteadier(options.steadying) if options.steadying is not None else None
        self.cuts = ShotCutDetector() if options.cuts else None
        self.keyframes = keyframes
        self.vibrance = np.float32(options.vibrance)
        # (full L, render L, pts, rotation): the decoded RGB is dropped at once (100 MB a frame at 8K)
        self.pending: list[tuple[np.ndarray, np.ndarray, int, int]] = []
        self.frames = 0
        self.cut_frames: list[int] = []

    def add(self, frame: DecodedFrame) -> None:
        lightness = rgb8_to_lightness(frame.rgb)
        self.pending.append((lightness, resize_lightness(lightness, self.shape), frame.pts, frame.rotation))
        if len(self.pending) >= self.options.batch_frames:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch = np.stack([self.colorizer.network_input(small) for _, small, _, _ in self.pending])
        predicted = self.colorizer.predict_ab(batch)
        for (lightness, small, pts, rotation), ab in zip(self.pending, predicted, strict=True):
            if self.cuts is not None and self.cuts(small):
                self.cut_frames.append(self.frames)
                if self.steadier is not None:
                    self.steadier.reset()
            shown = self.steadier(small, ab) if self.steadier is not None else ab
            if self.keyframes is not None:
                shown = self.keyframes.apply(self.frames, shown)
            image = compose(lightness, shown * self.vibrance)
            self.writer.write(np.asarray(image), pts, rotation)
            self.frames += 1
        self.pending.clear()


def _temporary_beside(path: str) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    stem, suffix = os.path.splitext(name)
    # Hidden and unmistakable, with the real suffix kept so tools recognise the container.
    return os.path.join(folder, f".{stem}.tmp-{uuid.uuid4().hex}{suffix}")


def colorize_video(
    colorizer: Colorizer,
    source: Source,
    destination: str | os.PathLike[str] | IO[bytes],
    options: VideoOptions = VideoOptions(),
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    suffix: str | None = None,
    keyframes: Sequence[Keyframe] = (),
) -> VideoResult:
    """Colorize `source` (a path or binary file) into `destination`, frame by frame.

    The output container follows `suffix` (default: the destination's, e.g. ".mp4");
    audio is carried over. A path destination is written under a temporary name and
    renamed when complete, so it exists only whole. Raises VideoError (stable `code`)
    for a bad input or output, VideoCancelled when `cancel()` answers True (checked
    between batches), ValueError for bad options.

    `keyframes` (video.keyframes) colour their shots as a colourist's frames: the film is
    then read twice (a file object must be seekable), and a bad keyframe raises
    KeyframeError (stable `code`) before anything is written.
    """
    check_vibrance(options.vibrance)
    check_crf(options.crf)
    if options.batch_frames < 1:
        raise ValueError("batch_frames must be at least 1")
    final_path = os.fspath(destination) if isinstance(destination, str | os.PathLike) else None
    if suffix is None:
        if final_path is None:
            raise ValueError("suffix is needed to choose the container when writing to a file object")
        suffix = os.path.splitext(final_path)[1]
    try:
        container = container_for(suffix)
    except KeyError:
        raise ValueError(f"no video container for {suffix!r}") from None
    colorizer.check_render_size(options.render_size)
    started = time.monotonic()
    fields: KeyframeFields | None = None
    if keyframes:
        with VideoReader(source, options.max_pixels, options.max_frames, options.max_duration_s) as first_pass:
            fields = carry_keyframes(
                colorizer, first_pass, keyframes, options.render_size, options.cuts, options.carrying
            )
        if not isinstance(source, str | os.PathLike):
            source.seek(0)
    target: str | IO[bytes] = _temporary_beside(final_path) if final_path is not None else destination  # type: ignore[assignment]
    with VideoReader(source, options.max_pixels, options.max_frames, options.max_duration_s) as reader:
        writer: VideoWriter | None = None
        finished = False
        try:
            writer = VideoWriter(target, container, reader.info, reader.audio, options.crf)
            pipeline = _Pipeline(colorizer, reader.info, options, writer, fields)
            for item in reader.items():
                if not isinstance(item, DecodedFrame):
                    writer.copy_audio(item)
                    continue
                pipeline.add(item)
                if not pipeline.pending:  # a batch was just written
                    if progress is not None:
                        elapsed = time.monotonic() - started
                        progress(VideoProgress(pipeline.frames, reader.info.frames, len(pipeline.cut_frames), elapsed))
                    if cancel is not None and cancel():
                        raise VideoCancelled()
            pipeline.flush()
            writer.close()
            finished = True
        finally:
            if not finished:
                if writer is not None:
                    writer.abort()
                if isinstance(target, str) and os.path.exists(target):
                    os.remove(target)
    if isinstance(target, str) and final_path is not None:
        try:
            os.replace(target, final_path)
        except OSError as error:
            os.remove(target)
            raise VideoError(ENCODE_FAILED, f"the output could not be moved into place ({error})") from None
    elapsed = time.monotonic() - started
    if progress is not None:
        progress(VideoProgress(pipeline.frames, reader.info.frames, len(pipeline.cut_frames), elapsed))
    return VideoResult(
        frames=pipeline.frames,
        shots=len(pipeline.cut_frames),
        info=reader.info,
        audio_streams=len(writer.audio),
        elapsed_s=elapsed,
        cut_frames=pipeline.cut_frames,
        keyframe_frames=fields.keyframe_frames if fields is not None else [],
    )
