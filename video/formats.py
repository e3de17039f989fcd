"""Which files are videos, and how each container is written back.

A video is written in the container it came in (`clip.mov` -> `clip-colorized.mov`),
with a codec that container holds and this FFmpeg build encodes. Quality is one
number, `crf`, on x264's scale (0 lossless .. 51 worst; 18 looks like the source to
most eyes); other encoders get the equivalent of their own scale. Audio is copied
packet for packet when the container can hold its codec, else re-encoded to the
container's usual audio codec. Torch-free and PyAV-free: the CLI lists files with it
before deciding whether the video extra is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

# File names taken as videos when a folder is searched (case-insensitive). An animated GIF
# is a video; so is a still GIF, which comes back as a one-frame GIF.
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".gif"})

MIN_CRF, MAX_CRF = 0, 51
DEFAULT_CRF = 18


@dataclass(frozen=True)
class VideoContainer:
    """How results are written for one input suffix."""

    format: str  # FFmpeg muxer name
    codec: str  # video encoder
    audio_codecs: frozenset[str]  # audio codecs copied as they are (empty: the container has no audio)
    audio_encoder: str | None  # what other audio is re-encoded to (None: audio is dropped)


_MP4_AUDIO = frozenset({"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"})
_MKV_AUDIO = frozenset({"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac", "vorbis", "pcm_s16le", "pcm_s24le"})

CONTAINERS = {
    ".mp4": VideoContainer("mp4", "libx264", _MP4_AUDIO, "aac"),
    ".m4v": VideoContainer("mp4", "libx264", _MP4_AUDIO, "aac"),
    ".mov": VideoContainer("mov", "libx264", _MP4_AUDIO | {"pcm_s16le", "pcm_s24le"}, "aac"),
    ".mkv": VideoContainer("matroska", "libx264", _MKV_AUDIO, "aac"),
    ".webm": VideoContainer("webm", "libvpx-vp9", frozenset({"opus", "vorbis"}), "libopus"),
    # AVI keeps MJPEG as MJPEG; anything else becomes MPEG-4 Part 2, what AVI players expect.
    ".avi": VideoContainer("avi", "mpeg4", frozenset({"mp3", "pcm_s16le", "ac3"}), "libmp3lame"),
    ".gif": VideoContainer("gif", "gif", frozenset(), None),
}
assert set(CONTAINERS) == VIDEO_SUFFIXES


def container_for(suffix: str) -> VideoContainer:
    """The output container for an input suffix (".MP4" works too); KeyError for a non-video."""
    return CONTAINERS[suffix.lower()]


def is_video_name(name: str) -> bool:
    """Whether a file name has a video suffix."""
    dot = name.rfind(".")
    return dot >= 0 and name[dot:].lower() in VIDEO_SUFFIXES


def check_crf(crf: int) -> int:
    """The crf as an int, or ValueError outside 0..51."""
    value = int(crf)
    if not MIN_CRF <= value <= MAX_CRF:
        raise ValueError(f"crf must be between {MIN_CRF} and {MAX_CRF}, got {crf}")
    return value


def encoder_options(codec: str, crf: int) -> dict[str, str]:
    """The encoder options that give quality `crf` (x264's scale) with `codec`."""
    if codec == "libx264":
        return {"crf": str(crf), "preset": "fast"}  # "fast": half of "medium"'s time, about its quality
    if codec == "libvpx-vp9":
        # VP9's constant-quality mode: crf 0..63 with the bitrate cap off.
        return {"crf": str(round(crf * 63 / MAX_CRF)), "b": "0", "row-mt": "1", "deadline": "good", "cpu-used": "4"}
    if codec in ("mpeg4", "mjpeg"):
        # A fixed quantiser (2 best useful .. 31, as FFmpeg's -q:v); crf 18 gives 3.
        quantiser = str(max(2, min(31, round(crf / 6))))
        return {"qmin": quantiser, "qmax": quantiser}
    return {}
