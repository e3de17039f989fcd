"""Reading a video one frame at a time (PyAV, FFmpeg inside the wheel), with its audio packets in file order.

Nothing is read ahead beyond what FFmpeg's demuxer and decoder hold, so a film of any
length costs the same memory. Every way an input can be unusable is checked at open
(a container outside the allow-list, no video stream, no decoder, frames beyond the
pixel limit) or while decoding (the decoder gives up, a frame beyond the pixel limit,
more frames or seconds than the limits, whatever the header said, the file ends before
the frames its header promises, no frame at all) and raised as a VideoError with a
stable code. An audio stream that cannot be decoded is left out, with a warning.

Headers are not trusted: a hostile file may declare small frames and grow them, or
declare no duration and no frame count. The decoder is told the pixel limit (FFmpeg
refuses a larger frame before allocating it) and every frame is checked again here.
"""

from __future__ import annotations

import errno
import logging
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
    TOO_LONG,
    TOO_MANY_FRAMES,
    TOO_MANY_PIXELS,
    TRUNCATED,
    UNSUPPORTED_CODEC,
    VideoError,
)

logger = logging.getLogger(__name__)

# The only demuxers a film is read with (FFmpeg's names; a demuxer whose name lists several,
# "mov,mp4,m4a,...", matches by any of them). An allow-list, because FFmpeg's other demuxers
# include ones that open further files named inside the input (concat, HLS and DASH playlists,
# image sequences, SDP): an upload could name another job's film, or any file.
INPUT_FORMATS = ("mov", "mp4", "matroska", "webm", "avi", "gif")
# Protocols a demuxer may open: the input itself. No network, no nested files.
_PROTOCOLS = "file,pipe"

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

    def __init__(
        self,
        source: Source,
        max_pixels: int = MAX_FRAME_PIXELS,
        max_frames: int | None = None,
        max_duration_s: float | None = None,
    ) -> None:
        self.max_pixels = max_pixels
        self.max_frames = max_frames
        self.max_duration_s = max_duration_s
        options = {"format_whitelist": ",".join(INPUT_FORMATS), "protocol_whitelist": _PROTOCOLS}
        try:
            self.container: Any = av.open(
                source if not isinstance(source, os.PathLike) else os.fspath(source), "r", options=options
            )
        except av.FFmpegError as error:
            raise VideoError(
                NOT_A_VIDEO,
                "not a readable video: a format other than MP4/MOV, Matroska/WebM, AVI or GIF, damaged or cut short "
                f"({_ffmpeg_reason(error)})",
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
        self.audio = [stream for stream in self.container.streams.audio if _decodable_audio(stream)]
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
        # FFmpeg checks every frame's size against this before it allocates the frame.
        context.options = {**context.options, "max_pixels": str(max_pixels)}
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
        first_pts: int | None = None
        last_pts: int | None = None
        try:
            for packet in self.container.demux(self.video, *self.audio):
                if packet.stream.type == "audio":
                    if packet.dts is not None:  # the demuxer's empty flush packets carry none
                        yield packet
                    continue
                for frame in self._decode(packet, decoded):
                    self._check_frame(frame, decoded)
                    pts = frame.pts
                    if pts is None:
                        pts = 0 if last_pts is None else last_pts + frame_ticks
                    if last_pts is not None and pts <= last_pts:
                        pts = last_pts + 1
                    first_pts = pts if first_pts is None else first_pts
                    last_pts = pts
                    decoded += 1
                    self._check_length(decoded, (pts - first_pts) * self.info.time_base)
                    yield DecodedFrame(self._rgb(frame), int(pts), int(frame.rotation or 0))
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

    def _decode(self, packet: av.Packet, decoded: int) -> list[Any]:
        try:
            return list(packet.decode())
        except av.FFmpegError as error:
            if error.errno != errno.EINVAL:
                raise
            # What the decoder answers when its own size check (max_pixels) refuses a frame,
            # before allocating it; corrupt data is AVERROR_INVALIDDATA instead.
            raise VideoError(
                TOO_MANY_PIXELS,
                f"frame {decoded + 1} is larger than the limit of {self.max_pixels:,} pixels per frame "
                f"({_ffmpeg_reason(error)})",
            ) from None

    def _check_frame(self, frame: Any, decoded: int) -> None:
        """A frame whose size grew past the limit mid-stream is refused before it is converted."""
        if frame.width * frame.height > self.max_pixels:
            raise VideoError(
                TOO_MANY_PIXELS,
                f"frame {decoded + 1} is {frame.width}x{frame.height}, beyond the limit of {self.max_pixels:,} pixels "
                f"per frame (the header says {self.info.width}x{self.info.height})",
            )

    def _check_length(self, decoded: int, elapsed: Fraction) -> None:
        """Frames and seconds are counted as they are decoded: a header may leave both out, or lie."""
        if self.max_frames is not None and decoded > self.max_frames:
            raise VideoError(TOO_MANY_FRAMES, f"the video has more than {self.max_frames} frames, the limit")
        if self.max_duration_s is not None and elapsed > self.max_duration_s:
            raise VideoError(TOO_LONG, f"the video lasts longer than the limit of {self.max_duration_s:g} s")

    def _rgb(self, frame: Any) -> np.ndarray:
        """The frame as RGB at the header's size (a stream whose frame size changes is scaled to it)."""
        if (frame.width, frame.height) == (self.info.width, self.info.height):
            return frame.to_ndarray(format="rgb24")
        return frame.to_ndarray(format="rgb24", width=self.info.width, height=self.info.height)

    def close(self) -> None:
        self.container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _decodable_audio(stream: Any) -> bool:
    """Whether an audio stream can be carried over; one that cannot is skipped with a warning."""
    context = stream.codec_context
    codec = context.codec if context is not None else None
    if codec is not None and codec.name and codec.name != "none":
        return True
    logger.warning(
        "audio stream left out: its codec is unknown to this FFmpeg build", extra={"fields": {"stream": stream.index}}
    )
    return False


def probe(source: Source, max_pixels: int = MAX_FRAME_PIXELS) -> VideoInfo:
    """Open, check and describe a video without decoding it (VideoError as VideoReader raises).

    What a job queue calls on an upload before accepting it: bad containers, missing
    streams, unknown codecs and oversized frames are refused here, in milliseconds.
    """
    with VideoReader(source, max_pixels) as reader:
        return reader.info
