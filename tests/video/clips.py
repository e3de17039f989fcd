"""Small test films made at run time with real FFmpeg (PyAV): every container, audio, odd inputs."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from tests.conftest import make_photo

# The encoder each test container is written with, as a phone, camera or editor would.
CODECS = {
    ".mp4": "libx264",
    ".mov": "libx264",
    ".mkv": "libx264",
    ".webm": "libvpx-vp9",
    ".avi": "mpeg4",
    ".gif": "gif",
}


def pan_frames(count: int, width: int, height: int, seed: int = 0) -> list[np.ndarray]:
    """A slow pan over a still colourful picture: the scene never changes colour."""
    still = np.asarray(make_photo(width * 2, height * 2, seed=seed))
    return [still[index : index + height, 2 * index : 2 * index + width].copy() for index in range(count)]


def write_clip(
    path: Path,
    frames: Sequence[np.ndarray],
    rate: int = 25,
    codec: str | None = None,
    pts: Sequence[int] | None = None,
    time_base: Fraction | None = None,
    audio: str | None = None,
    audio_seconds: float | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """Encode RGB frames into `path` (container from its suffix), optionally with a sine audio track."""
    codec = codec or CODECS[path.suffix]
    height, width = frames[0].shape[:2] if frames else (48, 64)
    with av.open(str(path), "w", options=options or {}) as output:
        stream: Any = output.add_stream(codec, rate=rate)
        stream.width, stream.height = width, height
        even = width % 2 == 0 and height % 2 == 0
        stream.pix_fmt = {"gif": "rgb8", "mjpeg": "yuvj420p"}.get(codec, "yuv420p" if even else "yuv444p")
        if time_base is not None:
            stream.time_base = time_base
            stream.codec_context.time_base = time_base
        sound: Any = output.add_stream(audio, rate=48000) if audio else None
        output.start_encoding()  # the header, even for a clip without frames
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if pts is not None:
                frame.pts = pts[index]
                frame.time_base = time_base
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
        if sound is not None:
            seconds = audio_seconds if audio_seconds is not None else len(frames) / rate
            samples = int(48000 * seconds)
            tone = (0.2 * np.sin(np.arange(samples) * 2 * np.pi * 440 / 48000)).astype(np.float32)
            chunk = 1024
            for start in range(0, samples, chunk):
                piece = tone[start : start + chunk]
                layout = "stereo"
                block = av.AudioFrame.from_ndarray(np.stack([piece, piece]), format="fltp", layout=layout)
                block.sample_rate = 48000
                block.pts = start
                for packet in sound.encode(block):
                    output.mux(packet)
            for packet in sound.encode(None):
                output.mux(packet)
    return path


def frame_timestamps(path: Path) -> list[float]:
    """Each decoded frame's time in seconds."""
    with av.open(str(path)) as container:
        return [float(frame.time) for frame in container.decode(video=0)]


def read_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
