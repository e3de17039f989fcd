"""colorize_video end to end with real FFmpeg: every container, audio, timestamps, progress, cancelling."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np
import pytest

from model.colorizer import Colorizer
from model.lab_numpy import rgb8_to_lightness
from tests.video.clips import CODECS, frame_timestamps, pan_frames, read_frames, write_clip
from video import VideoCancelled, VideoError, VideoOptions, VideoProgress, colorize_video
from video.errors import NO_VIDEO_STREAM


@pytest.fixture(scope="module")
def colorizer(tiny_artifact):
    return Colorizer.load(tiny_artifact, device="cpu")


def stream_facts(path):
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        return {
            "size": (video.codec_context.width, video.codec_context.height),
            "audio": [stream.codec_context.codec.canonical_name for stream in container.streams.audio],
        }


@pytest.mark.parametrize("suffix", sorted(CODECS))
def test_every_container_keeps_frames_size_and_timing(suffix, colorizer, tmp_path):
    frames = pan_frames(12, 64, 48)
    source = write_clip(tmp_path / f"clip{suffix}", frames, rate=20 if suffix == ".gif" else 25)
    target = tmp_path / f"clip-colorized{suffix}"
    result = colorize_video(colorizer, source, target)
    assert result.frames == 12
    assert stream_facts(target)["size"] == (64, 48)
    assert frame_timestamps(target) == pytest.approx(frame_timestamps(source), abs=1e-3)
    assert not [path for path in tmp_path.iterdir() if ".tmp-" in path.name]  # the temporary file was renamed


def test_odd_frame_size_and_colour_input_keep_their_lightness(colorizer, tmp_path):
    frames = pan_frames(6, 63, 47, seed=3)
    source = write_clip(tmp_path / "odd.mkv", frames, codec="libx264", options=None)
    target = tmp_path / "odd-colorized.mkv"
    colorize_video(colorizer, source, target, VideoOptions(crf=0))
    output = read_frames(target)
    assert output[0].shape == (47, 63, 3)
    source_l = rgb8_to_lightness(read_frames(source)[2])
    assert np.abs(rgb8_to_lightness(output[2]) - source_l).mean() < 1.5  # L kept; only colour is new


def test_vibrance_zero_gives_grey_frames(colorizer, tmp_path):
    source = write_clip(tmp_path / "clip.mp4", pan_frames(4, 64, 48))
    target = tmp_path / "grey.mp4"
    colorize_video(colorizer, source, target, VideoOptions(vibrance=0.0, crf=0))
    frame = read_frames(target)[1].astype(int)
    assert np.abs(frame[..., 0] - frame[..., 2]).mean() < 2  # R = G = B up to the codec
    with pytest.raises(ValueError, match="vibrance"):
        colorize_video(colorizer, source, tmp_path / "bad.mp4", VideoOptions(vibrance=3.0))


def test_audio_is_copied_or_reencoded_where_the_container_needs_it(colorizer, tmp_path):
    source = write_clip(tmp_path / "talk.mp4", pan_frames(25, 64, 48), audio="aac", audio_seconds=1.0)
    copied = tmp_path / "talk-colorized.mp4"
    assert colorize_video(colorizer, source, copied).audio_streams == 1
    with av.open(str(source)) as original, av.open(str(copied)) as result:
        before = [(packet.pts, bytes(packet)) for packet in original.demux(audio=0) if packet.size]
        after = [(packet.pts, bytes(packet)) for packet in result.demux(audio=0) if packet.size]
    assert after == before  # remuxed untouched
    # AVI takes no AAC here: the track becomes MP3, about as long.
    avi_source = write_clip(tmp_path / "talk.avi", pan_frames(25, 64, 48), audio="aac", audio_seconds=1.0)
    reencoded = tmp_path / "talk-colorized.avi"
    colorize_video(colorizer, avi_source, reencoded)
    assert stream_facts(reencoded)["audio"] == ["mp3"]
    with av.open(str(reencoded)) as result:
        seconds = sum(frame.samples for frame in result.decode(audio=0)) / 48000
    assert seconds == pytest.approx(1.0, abs=0.1)
    # GIF holds no audio: the film still comes out.
    gif = colorize_video(colorizer, source, tmp_path / "talk-colorized.gif")
    assert gif.frames == 25 and gif.audio_streams == 0


def test_variable_frame_rate_clip_keeps_every_timestamp(colorizer, tmp_path):
    pts = [0, 33, 70, 100, 170, 200, 233, 300, 340, 350, 420, 460]
    source = write_clip(tmp_path / "phone.mp4", pan_frames(12, 64, 48), pts=pts, time_base=Fraction(1, 1000))
    target = tmp_path / "phone-colorized.mp4"
    colorize_video(colorizer, source, target)
    assert frame_timestamps(target) == pytest.approx([value / 1000 for value in pts], abs=1e-3)


def test_progress_reports_each_batch_and_cancel_leaves_nothing(colorizer, tmp_path):
    source = write_clip(tmp_path / "clip.mp4", pan_frames(10, 64, 48))
    reports: list[VideoProgress] = []
    colorize_video(colorizer, source, tmp_path / "done.mp4", VideoOptions(batch_frames=3), progress=reports.append)
    assert [report.frames_done for report in reports] == [3, 6, 9, 10]
    assert all(report.frames_total == 10 for report in reports)
    target = tmp_path / "stopped.mp4"
    with pytest.raises(VideoCancelled) as caught:
        colorize_video(colorizer, source, target, VideoOptions(batch_frames=2), cancel=lambda: True)
    assert caught.value.code == "cancelled"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip.mp4", "done.mp4"]


def test_file_objects_in_and_out(colorizer, tmp_path):
    source = write_clip(tmp_path / "clip.mkv", pan_frames(5, 64, 48))
    buffer = io.BytesIO()
    with open(source, "rb") as handle:
        colorize_video(colorizer, handle, buffer, suffix=".mkv")
    (tmp_path / "out.mkv").write_bytes(buffer.getvalue())
    assert len(read_frames(tmp_path / "out.mkv")) == 5
    with pytest.raises(ValueError, match="suffix"):
        colorize_video(colorizer, str(source), io.BytesIO())


def test_a_bad_input_leaves_no_output(colorizer, tmp_path):
    source = tmp_path / "voice.mp4"
    source.write_bytes(b"\x00" * 100)
    with pytest.raises(VideoError):
        colorize_video(colorizer, source, tmp_path / "voice-colorized.mp4")
    with av.open(str(tmp_path / "silent.mp4"), "w") as output:
        output.add_stream("aac", rate=48000)
        output.start_encoding()
    with pytest.raises(VideoError) as caught:
        colorize_video(colorizer, tmp_path / "silent.mp4", tmp_path / "silent-colorized.mp4")
    assert caught.value.code == NO_VIDEO_STREAM
    assert sorted(path.name for path in tmp_path.iterdir()) == ["silent.mp4", "voice.mp4"]


def test_an_unwritable_destination_is_an_encode_failure(colorizer, tmp_path):
    source = write_clip(tmp_path / "clip.mp4", pan_frames(3, 64, 48))
    with pytest.raises(VideoError) as caught:
        colorize_video(colorizer, source, tmp_path / "no-such-folder" / "out.mp4")
    assert caught.value.code == "encode_failed"


def test_a_phone_clip_keeps_its_display_rotation(colorizer, tmp_path):
    """Phones store upright video as landscape frames plus a rotation; the output keeps it."""
    source = tmp_path / "portrait.mp4"
    with av.open(str(source), "w") as output:
        stream = output.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.set_display_rotation(90)
        for rgb in pan_frames(4, 64, 48):
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    target = tmp_path / "portrait-colorized.mp4"
    colorize_video(colorizer, source, target)
    with av.open(str(target)) as result:
        first = next(result.decode(video=0))
        assert (first.rotation, first.width, first.height) == (90, 64, 48)
