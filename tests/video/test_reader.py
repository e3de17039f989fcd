"""VideoReader on real files made with FFmpeg: what it reports, and each unusable input's code."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from tests.video.clips import pan_frames, write_clip
from video import probe
from video.errors import (
    NO_FRAMES,
    NO_VIDEO_STREAM,
    NOT_A_VIDEO,
    TOO_MANY_PIXELS,
    TRUNCATED,
    UNSUPPORTED_CODEC,
    VideoError,
)
from video.reader import DecodedFrame, VideoReader


def truncated_mp4(folder, faststart: bool):
    """An interrupted download: the first half of an MP4 (index at the end, or at the front)."""
    whole = write_clip(
        folder / f"whole-{faststart}.mp4",
        pan_frames(20, 64, 48),
        options={"movflags": "faststart"} if faststart else None,
    )
    cut = folder / f"cut-{faststart}.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return cut


def audio_only(folder):
    path = folder / "voice.mp4"
    with av.open(str(path), "w") as output:
        stream = output.add_stream("aac", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = 48000, 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            output.mux(packet)
    return path


def unknown_codec(folder):
    """An AVI whose FourCC no decoder knows (what an exotic capture card leaves behind)."""
    clip = write_clip(folder / "mjpeg.avi", pan_frames(4, 64, 48), codec="mjpeg")
    path = folder / "unknown.avi"
    path.write_bytes(clip.read_bytes().replace(b"MJPG", b"QZQZ"))
    return path


def text_file(folder):
    path = folder / "notes.mp4"
    path.write_text("not a film")
    return path


BAD_INPUTS = {
    "truncated, index at the end": (lambda folder: truncated_mp4(folder, False), NOT_A_VIDEO),
    "truncated, index at the front": (lambda folder: truncated_mp4(folder, True), TRUNCATED),
    "no video stream": (audio_only, NO_VIDEO_STREAM),
    "zero frames": (lambda folder: write_clip(folder / "empty.avi", []), NO_FRAMES),
    "unsupported codec": (unknown_codec, UNSUPPORTED_CODEC),
    "not a video at all": (text_file, NOT_A_VIDEO),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_unusable_inputs_raise_their_code(case, tmp_path):
    make, code = BAD_INPUTS[case]
    path = make(tmp_path)
    with pytest.raises(VideoError) as caught, VideoReader(path) as reader:
        list(reader.items())
    assert caught.value.code == code
    assert caught.value.message


def test_frames_beyond_the_pixel_limit_are_refused_before_decoding(tmp_path):
    path = write_clip(tmp_path / "big.mp4", pan_frames(2, 64, 48))
    with pytest.raises(VideoError) as caught:
        VideoReader(path, max_pixels=64 * 48 - 1)
    assert caught.value.code == TOO_MANY_PIXELS and "64x48" in caught.value.message
    with VideoReader(path, max_pixels=64 * 48) as reader:
        assert reader.info.width * reader.info.height == 64 * 48


def test_frames_audio_and_facts_of_a_clip(tmp_path):
    frames = pan_frames(10, 64, 48)
    path = write_clip(tmp_path / "clip.mkv", frames, rate=25, audio="aac")
    with VideoReader(path) as reader:
        items = list(reader.items())
        info = reader.info
    decoded = [item for item in items if isinstance(item, DecodedFrame)]
    assert len(decoded) == 10 and len(items) > 10  # audio packets came along
    assert (info.width, info.height, info.audio_codecs) == (64, 48, ("aac",))
    assert info.rate == 25
    assert decoded[0].rgb.shape == (48, 64, 3) and decoded[0].rgb.dtype == np.uint8
    assert np.abs(decoded[3].rgb.astype(int) - frames[3]).mean() < 8  # near-lossless H.264 of the same picture


def test_variable_frame_rate_timestamps_come_through(tmp_path):
    pts = [0, 40, 70, 140, 160, 200, 290, 300, 340, 400]
    path = write_clip(tmp_path / "phone.mp4", pan_frames(10, 64, 48), pts=pts, time_base=Fraction(1, 1000))
    with VideoReader(path) as reader:
        times = [float(item.pts * reader.info.time_base) for item in reader.items() if isinstance(item, DecodedFrame)]
    assert times == pytest.approx([value / 1000 for value in pts])


def test_probe_describes_without_decoding(tmp_path):
    path = write_clip(tmp_path / "clip.webm", pan_frames(5, 64, 48))
    info = probe(path)
    assert (info.width, info.height, info.codec) == (64, 48, "vp9")
    assert info.duration_s == pytest.approx(0.2, abs=0.05)
    with pytest.raises(VideoError) as caught:
        probe(audio_only(tmp_path))
    assert caught.value.code == NO_VIDEO_STREAM
