"""Writing the colorized video: frames encoded as they come, audio copied (or re-encoded) beside them.

The output has the input's frame size, time base and every frame's own timestamp, so
frame count, frame rate (variable ones included) and duration come out as they went
in. Odd frame sizes are kept (4:4:4 chroma instead of 4:2:0, which needs even sides).
"""

from __future__ import annotations

import contextlib
from typing import Any, cast

import av
import numpy as np
from PIL import Image

from video.errors import ENCODE_FAILED, VideoError
from video.formats import VideoContainer, encoder_options
from video.reader import Source, VideoInfo

# GIF frames get their own 256-colour palette (Pillow's quantiser); FFmpeg's fixed
# rgb8 palette would band every gradient.
_GIF_COLOURS = 256
# Audio packets held back until the first frame (a second of AAC is about 47): a file that
# stores all its audio first gets it written at once, without the rotation, not held whole.
_MAX_EARLY_AUDIO = 2000
# The channel layouts each audio encoder takes. Audio is resampled to the input's layout when
# the encoder takes it, else mixed down to stereo: a PCM track's unordered "2 channels", or
# 5.1 for MP3, would make the encoder refuse to open.
_ENCODER_LAYOUTS = {
    "aac": ("mono", "stereo", "5.1"),
    "libopus": ("mono", "stereo", "5.1"),
    "libmp3lame": ("mono", "stereo"),
}
_LAYOUT_OF_CHANNELS = {1: "mono", 2: "stereo", 6: "5.1"}


def _video_codec(container: VideoContainer, info: VideoInfo) -> str:
    # AVI keeps MJPEG as MJPEG (a frame-exact editing format); see formats.CONTAINERS.
    if container.format == "avi" and info.codec == "mjpeg":
        return "mjpeg"
    return container.codec


def _pixel_format(codec: str, width: int, height: int) -> str:
    if codec == "gif":
        return "pal8"
    if codec == "mjpeg":
        return "yuvj420p" if width % 2 == 0 and height % 2 == 0 else "yuvj444p"
    if codec == "mpeg4":
        return "yuv420p"  # its only format; odd sides lose one chroma column/row, not a pixel
    return "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"


def _encoder_layout(encoder: str, channels: int) -> str:
    """The layout `encoder` is given for an input of `channels` channels."""
    wanted = _LAYOUT_OF_CHANNELS.get(channels, "stereo")
    return wanted if wanted in _ENCODER_LAYOUTS.get(encoder, ("mono", "stereo")) else "stereo"


def _gif_frame(rgb: np.ndarray) -> av.VideoFrame:
    quantised = Image.fromarray(rgb).quantize(_GIF_COLOURS, method=Image.Quantize.FASTOCTREE)
    palette = np.zeros((256, 4), dtype=np.uint8)
    colours = np.frombuffer(bytes(quantised.getpalette() or []), dtype=np.uint8).reshape(-1, 3)[:256]
    palette[: len(colours), 0] = 255  # ARGB: opaque
    palette[: len(colours), 1:] = colours
    indexed_with_palette: Any = (np.asarray(quantised), palette)  # PyAV's pal8 form; its stubs know arrays only
    return av.VideoFrame.from_ndarray(indexed_with_palette, format="pal8")


class VideoWriter:
    """An output video being written: `write(rgb, pts)` per frame, `copy_audio(packet)`, then `close()`.

    `audio_streams` are the input's; each gets an output stream (a copy when the container
    holds its codec, else re-encoded to the container's audio codec, or dropped where the
    container has no audio, as GIF). `abort()` closes without finishing (the caller
    removes the file).
    """

    def __init__(
        self,
        destination: Source,
        container: VideoContainer,
        info: VideoInfo,
        audio_streams: list[Any],
        crf: int,
    ) -> None:
        self.container_spec = container
        try:
            self.output = cast(Any, av.open(destination, "w", format=container.format))
        except (av.FFmpegError, OSError) as error:
            raise VideoError(ENCODE_FAILED, f"the output could not be opened ({error})") from None
        try:
            codec = _video_codec(container, info)
            self.video = cast(Any, self.output.add_stream(codec, rate=info.rate, options=encoder_options(codec, crf)))
            self.video.width, self.video.height = info.width, info.height
            self.video.pix_fmt = _pixel_format(codec, info.width, info.height)
            # AVI counts frames (a time base of one frame); the others keep the input's clock.
            self.input_time_base = info.time_base
            self.time_base = 1 / info.rate if container.format == "avi" else info.time_base
            self.video.time_base = self.time_base
            self.video.codec_context.time_base = self.time_base
            self._last_pts: int | None = None
            # Audio that arrives before the first frame waits for it: the header, written at the
            # first packet, must already carry the frame's display rotation.
            self._early_audio: list[Any] = []
            self._gif = codec == "gif"
            # input audio stream index -> (output stream, the resampler of a re-encoded one; None: copied)
            self.audio: dict[int, tuple[Any, av.AudioResampler | None]] = {}
            for stream in audio_streams:
                self._add_audio(stream)
        except (av.FFmpegError, ValueError) as error:
            self.output.close()
            raise VideoError(ENCODE_FAILED, f"the {container.format} output could not be set up ({error})") from None

    def _add_audio(self, stream: Any) -> None:
        spec = self.container_spec
        name = stream.codec_context.codec.canonical_name  # the format's name ("mp3"), not the decoder's
        if name in spec.audio_codecs:
            self.audio[stream.index] = (self.output.add_stream_from_template(stream), None)
        elif spec.audio_encoder is not None:
            rate = stream.codec_context.sample_rate or 48000
            encoder = av.Codec(spec.audio_encoder, "w")
            if encoder.audio_rates and rate not in encoder.audio_rates:
                rate = 48000
            layout = _encoder_layout(spec.audio_encoder, len(stream.codec_context.layout.channels))
            encoded = self.output.add_stream(spec.audio_encoder, rate=rate)
            encoded.layout = layout
            sample_format = encoder.audio_formats[0].name if encoder.audio_formats else "fltp"
            encoded.format = sample_format
            resampler = av.AudioResampler(format=sample_format, layout=layout, rate=rate)
            self.audio[stream.index] = (encoded, resampler)

    def write(self, rgb: np.ndarray, pts: int, rotation: int = 0) -> None:
        """Encode one (H, W, 3) uint8 RGB frame shown at `pts` (in the input's time base).

        `rotation` (the input's display rotation, read from its first frame) is kept, so a
        phone clip plays upright as it did.
        """
        if self._last_pts is None and rotation and not self._gif:
            self.video.set_display_rotation(rotation)
        frame = _gif_frame(rgb) if self._gif else av.VideoFrame.from_ndarray(rgb, format="rgb24")
        if self.time_base != self.input_time_base:
            pts = round(pts * self.input_time_base / self.time_base)
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1  # encoders need strictly increasing timestamps
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = self.time_base
        try:
            for packet in self.video.encode(frame):
                self.output.mux(packet)
        except (av.FFmpegError, ValueError) as error:
            raise VideoError(ENCODE_FAILED, f"frame at {pts} could not be encoded ({error})") from None
        early, self._early_audio = self._early_audio, []
        for packet in early:
            self.copy_audio(packet)

    def copy_audio(self, packet: Any) -> None:
        """Carry one input audio packet over: muxed as it is, or decoded and re-encoded."""
        target = self.audio.get(packet.stream.index)
        if target is None:
            return
        if self._last_pts is None and len(self._early_audio) < _MAX_EARLY_AUDIO:
            self._early_audio.append(packet)
            return
        stream, resampler = target
        try:
            if resampler is None:
                packet.stream = stream
                self.output.mux(packet)
                return
            for frame in packet.decode():
                frame.pts = None  # the encoder's own sample count keeps the timeline
                self._encode_audio(stream, resampler.resample(frame))
        except (av.FFmpegError, ValueError) as error:  # ValueError: PyAV's refusal of a frame it cannot convert
            raise VideoError(ENCODE_FAILED, f"the audio could not be written ({error})") from None

    def _encode_audio(self, stream: Any, frames: list[av.AudioFrame]) -> None:
        for frame in frames:
            for encoded in stream.encode(frame):
                self.output.mux(encoded)

    def close(self) -> None:
        """Flush the encoders and finish the file."""
        try:
            for packet in self.video.encode(None):
                self.output.mux(packet)
            for stream, resampler in self.audio.values():
                if resampler is not None:
                    self._encode_audio(stream, resampler.resample(None))
                    for packet in stream.encode(None):
                        self.output.mux(packet)
        except av.FFmpegError as error:
            raise VideoError(ENCODE_FAILED, f"the output could not be finished ({error})") from None
        finally:
            self.output.close()

    def abort(self) -> None:
        """Close without flushing; what was written is incomplete."""
        with contextlib.suppress(av.FFmpegError, OSError):  # the file is removed by the caller either way
            self.output.close()
