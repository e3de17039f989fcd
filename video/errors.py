"""What can go wrong with one video, as a stable code (for reports and APIs) and a message."""

from __future__ import annotations

# The codes a VideoError carries; reports and the REST API pass them on unchanged.
NOT_A_VIDEO = "not_a_video"  # no container FFmpeg can open (unknown format, or cut short before its index)
TRUNCATED = "truncated"  # the file ends before the frames its header promises
NO_VIDEO_STREAM = "no_video_stream"  # a container with audio or data only
NO_FRAMES = "no_frames"  # a video stream without a single frame
UNSUPPORTED_CODEC = "unsupported_codec"  # a video codec this build of FFmpeg cannot decode
TOO_MANY_PIXELS = "too_many_pixels"  # frames larger than the pixel limit (in the header, or any one decoded)
TOO_LONG = "too_long"  # decoded past the duration limit (whatever the header said)
TOO_MANY_FRAMES = "too_many_frames"  # decoded past the frame limit (whatever the header said)
DECODE_FAILED = "decode_failed"  # the decoder gave up in the middle of the stream
ENCODE_FAILED = "encode_failed"  # the output could not be encoded or written
CANCELLED = "cancelled"  # the caller asked to stop (no output is left behind)

VIDEO_ERROR_CODES = frozenset(
    {
        NOT_A_VIDEO,
        TRUNCATED,
        NO_VIDEO_STREAM,
        NO_FRAMES,
        UNSUPPORTED_CODEC,
        TOO_MANY_PIXELS,
        TOO_LONG,
        TOO_MANY_FRAMES,
        DECODE_FAILED,
        ENCODE_FAILED,
        CANCELLED,
    }
)


class VideoError(Exception):
    """A video that cannot be colorized: `code` is one of VIDEO_ERROR_CODES, `message` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        assert code in VIDEO_ERROR_CODES, code
        self.code = code
        self.message = message


class VideoCancelled(VideoError):
    """Raised when the caller's cancel check answers True; the partial output is removed."""

    def __init__(self) -> None:
        super().__init__(CANCELLED, "cancelled before the last frame")
