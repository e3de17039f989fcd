"""Reading a video one frame at a time (PyAV, FFmpeg inside the wheel), with its audio packets in file order.

Nothing is read ahead beyond what FFmpeg's demuxer and decoder hold, so a film of any
length costs the same memory. Every way an input can be unusable is checked at open
(no container, no video stream, no decoder, frames beyond the pixel limit) or while
decoding (the decoder gives up, the file ends before the frames its header promises,
no frame at all) and raised as a VideoError with a stable code.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import IO, Any

import av
import numpy as np

from video.errors import (
    DECODE_FAILED,
    NO_FRAMES,
    NO_VIDEO_STREAM,
    NOT_A_VIDEO,
    TOO_MANY_PIXELS,
    TRUNCATED,
    UNSUPPORTED_CODEC,
    VideoError,
)

# 8K UHD: larger frames are refused before the first one is decoded (one RGB frame of this
# size is 100 MB; the colorizer holds a few).
MAX_FRAME_PIXELS = 7680 * 4320
# A header's frame count may be off by a little (packed B-frames, an edit list); a file
# that decodes to fewer frames than this share of it was cut short.
_TRUNCATION_SLACK = 0.01

Source = str | os.PathLike[str] | IO[bytes]


@dataclass(frozen=True)
class VideoInfo:
    """What the input says about itself, before decoding."""

    width: int
    height: int
    frames: int  # from the header, or estimated from duration x rate; 0 when unknown
    rate: Fraction  # average frames per second (a variable-rate clip keeps its own timestamps)
    time_base: Fraction  # of the video stream's timestamps
    duration_s: float | None
    codec: str  # the video decoder's name, e.g. "h264"
    container: str  # FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    audio_codecs: tuple[str, ...]  # one per audio stream


@dataclass(frozen=True)
class DecodedFrame:
    """One frame as 8-bit RGB (H, W, 3), its timestamp in the stream's time base, and how it is shown."""

    rgb: np.ndarray
    pts: int
    rotation: int = 0  # degrees counter-clockwise from the display matrix (a phone held upright: 90 or -90)


def _ffmpeg_reason(error: Exception) -> str:
    return str(getattr(error, "strerror", None) or error)


class VideoReader:
    """An opened input video: `info`, its streams, and `items()`: frames and audio packets in file order.

    `source` is a path or a binary file object (an fsspec file works: it is read as it
    is demuxed). Use it as a context manager, or call close().
    """

    def __init__(self, source: Source, max_pixels: int = MAX_FRAME_PIXELS) -> None:
        try:
            self.container: Any = av.open(source if not isinstance(source, os.PathLike) else os.fspath(source), "r")
        except av.FFmpegError as error:
            raise VideoError(
                NOT_A_VIDEO, f"not a readable video: unknown format, damaged or cut short ({_ffmpeg_reason(error)})"
            ) from None
        try:
            self._check(max_pixels)
        except BaseException:
            self.container.close()
            raise

    def _check(self, max_pixels: int) -> None:
        if not self.container.streams.video:
            kinds = sorted({stream.type for stream in self.container.streams})
            held = f"only {', '.join(kinds)}" if kinds else "no streams at all: an empty or unfinished file"
            raise VideoError(NO_VIDEO_STREAM, f"no video stream ({held})")
        self.video = self.container.streams.video[0]
        self.audio = list(self.container.streams.audio)
        context = self.video.codec_context
        if context is None or context.codec is None or not context.codec.name or context.codec.name == "none":
            raise VideoError(UNSUPPORTED_CODEC, "the video codec is unknown to this FFmpeg build")
        width, height = int(context.width or 0), int(context.height or 0)
        if width <= 0 or height <= 0:
            raise VideoError(UNSUPPORTED_CODEC, f"the {context.codec.name} stream gives no frame size")
        if width * height > max_pixels:
            raise VideoError(
                TOO_MANY_PIXELS, f"frames of {width}x{height} exceed the limit of {max_pixels:,} pixels per frame"
            )
        self.video.thread_type = "AUTO"  # frame and slice threads: decoding keeps up with the network
        rate = Fraction(self.video.average_rate or self.video.guessed_rate or self.video.base_rate or 25)
        time_base = Fraction(self.video.time_base or Fraction(1, 90000))
        duration_s = None
        if self.video.duration:
            duration_s = float(self.video.duration * time_base)
        elif self.container.duration:
            duration_s = self.container.duration / av.time_base
        declared = int(self.video.frames or 0)
        frames = declared or (round(duration_s * rate) if duration_s else 0)
        self.info = VideoInfo(
            width=width,
            height=height,
            frames=frames,
            rate=rate,
            time_base=time_base,
            duration_s=duration_s,
            codec=context.codec.canonical_name,
            container=self.container.format.name,
            audio_codecs=tuple(stream.codec_context.codec.canonical_name for stream in self.audio),
        )
        self._declared_frames = declared

    def items(self) -> Iterator[DecodedFrame | av.Packet]:
        """Decoded video frames (RGB) and undecoded audio packets, in the order the file holds them.

        Timestamps are kept, made strictly increasing where a broken file repeats one,
        and invented from the frame rate where a container has none.
        """
        frame_ticks = max(1, round(1 / (self.info.rate * self.info.time_base)))
        decoded = 0
        last_pts: int | None = None
        try:
            for packet in self.container.demux(self.video, *self.audio):
                if packet.stream.type == "audio":
                    if packet.dts is not None:  # the demuxer's empty flush packets carry none
                        yield packet
                    continue
                for frame in packet.decode():
                    pts = frame.pts
                    if pts is None:
                        pts = 0 if last_pts is None else last_pts + frame_ticks
                    if last_pts is not None and pts <= last_pts:
                        pts = last_pts + 1
                    last_pts = pts
                    decoded += 1
                    yield DecodedFrame(frame.to_ndarray(format="rgb24"), int(pts), int(frame.rotation or 0))
        except av.FFmpegError as error:
            if self._declared_frames > decoded:
                raise VideoError(
                    TRUNCATED,
                    f"the file breaks off after {decoded} of the {self._declared_frames} frames its header lists "
                    f"({_ffmpeg_reason(error)})",
                ) from None
            raise VideoError(
                DECODE_FAILED, f"decoding failed after {decoded} frames ({_ffmpeg_reason(error)})"
            ) from None
        if decoded == 0:
            if self.info.duration_s:
                raise VideoError(
                    TRUNCATED, f"no complete frame, though the header promises {self.info.duration_s:.1f} s of video"
                )
            raise VideoError(NO_FRAMES, "the video stream holds no frames")
        declared = self._declared_frames
        if declared and decoded < declared * (1 - _TRUNCATION_SLACK) - 1:
            raise VideoError(TRUNCATED, f"the file ends after {decoded} of the {declared} frames its header lists")

    def close(self) -> None:
        self.container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def probe(source: Source, max_pixels: int = MAX_FRAME_PIXELS) -> VideoInfo:
    """Open, check and describe a video without decoding it (VideoError as VideoReader raises).

    What a job queue calls on an upload before accepting it: bad containers, missing
    streams, unknown codecs and oversized frames are refused here, in milliseconds.
    """
    with VideoReader(source, max_pixels) as reader:
        return reader.info
