"""Films made to get past the limits, or to break the reader and writer, written at test time with PyAV.

Frames that grow after a small header (checked one by one, before they are converted),
films without a duration or frame count (counted while decoding), audio no decoder knows
(left out), PCM and surround audio that the output's encoder must be given in a layout it
takes, and inputs that name other files (refused by the allow-list of demuxers).
"""

from __future__ import annotations

import io
import logging
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from model.colorizer import Colorizer
from tests.video.clips import pan_frames, write_clip
from video import VideoOptions, colorize_video, probe
from video.errors import NOT_A_VIDEO, TOO_LONG, TOO_MANY_FRAMES, TOO_MANY_PIXELS, VideoError
from video.reader import DecodedFrame, VideoReader

FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def growing_mjpeg(path: Path, sizes: list[tuple[int, int]], rate: int = 8) -> Path:
    """An MKV of MJPEG frames, each its own size: the header carries the first one's."""
    with av.open(str(path), "w") as output:
        stream: Any = output.add_stream("mjpeg", rate=rate)
        stream.width, stream.height = sizes[0]
        stream.pix_fmt = "yuvj420p"
        stream.time_base = stream.codec_context.time_base = Fraction(1, rate)
        encoders: dict[tuple[int, int], Any] = {}
        for index, (width, height) in enumerate(sizes):
            if (width, height) not in encoders:
                encoder: Any = av.CodecContext.create("mjpeg", "w")
                encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuvj420p"
                encoder.time_base = Fraction(1, rate)
                encoder.open()
                encoders[width, height] = encoder
            rgb = np.full((height, width, 3), (index * 40) % 256, np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuvj420p")
            frame.pts = index
            for packet in encoders[width, height].encode(frame):
                packet.stream = stream
                packet.pts = packet.dts = index
                packet.time_base = stream.time_base
                output.mux(packet)
    return path


def without_length(path: Path, frames: int, rate: int) -> Path:
    """An MKV written as a live stream: no duration and no frame count anywhere (probes as 0 and None)."""
    shades = [np.full((24, 32, 3), (index * 9) % 256, np.uint8) for index in range(frames)]
    return write_clip(path, shades, rate=rate, codec="mjpeg", options={"live": "1"})


@pytest.fixture(scope="module")
def colorizer(tiny_artifact):
    return Colorizer.load(tiny_artifact, device="cpu")


# --- frames that grow past the limit (issue 32, item 3) -------------------------------


@FEW
@given(
    small=st.tuples(st.integers(16, 64), st.integers(16, 48)),
    big=st.tuples(st.integers(130, 240), st.integers(100, 180)),
    small_frames=st.integers(1, 6),
)
def test_a_frame_that_grows_past_the_limit_is_refused_before_it_is_used(tmp_path_factory, small, big, small_frames):
    limit = 128 * 96  # above every small size, below every big one
    path = growing_mjpeg(tmp_path_factory.mktemp("grow") / "grow.mkv", [small] * small_frames + [big] * 3)
    assert probe(path, limit).width == small[0]  # the header passes
    seen = 0
    with pytest.raises(VideoError) as raised, VideoReader(path, limit) as reader:
        for item in reader.items():
            assert isinstance(item, DecodedFrame) and item.rgb.shape[:2] == (small[1], small[0])
            seen += 1
    assert raised.value.code == TOO_MANY_PIXELS and seen == small_frames


def test_a_film_that_grows_fails_the_colorization_and_leaves_no_output(colorizer, tmp_path):
    path = growing_mjpeg(tmp_path / "grow.mkv", [(64, 48)] * 8 + [(2400, 1800)] * 8)
    output = tmp_path / "out.mp4"
    with pytest.raises(VideoError) as raised:
        colorize_video(colorizer, path, output, VideoOptions(max_pixels=1920 * 1080, steadying=None))
    assert raised.value.code == TOO_MANY_PIXELS and "pixels" in raised.value.message
    assert list(tmp_path.iterdir()) == [path]


def test_frames_that_change_size_within_the_limit_come_out_at_the_headers_size(colorizer, tmp_path):
    sizes = [(64, 48)] * 3 + [(96, 72)] * 3 + [(32, 24)] * 2
    path = growing_mjpeg(tmp_path / "sizes.mkv", sizes)
    result = colorize_video(colorizer, path, tmp_path / "out.mp4", VideoOptions(steadying=None))
    assert result.frames == len(sizes)
    with av.open(str(tmp_path / "out.mp4")) as container:
        shapes = {frame.to_ndarray(format="rgb24").shape for frame in container.decode(video=0)}
    assert shapes == {(48, 64, 3)}


# --- films without a length (item 4) ---------------------------------------------------


@FEW
@given(frames=st.integers(2, 30), max_frames=st.integers(1, 30))
def test_frames_are_counted_while_decoding(tmp_path_factory, frames, max_frames):
    path = without_length(tmp_path_factory.mktemp("live") / "live.mkv", frames, rate=10)
    info = probe(path)
    assert (info.frames, info.duration_s) == (0, None)  # nothing for a header check to hold
    with VideoReader(path, max_frames=max_frames) as reader:
        if frames <= max_frames:
            assert sum(1 for _ in reader.items()) == frames
        else:
            with pytest.raises(VideoError) as raised:
                for _ in reader.items():
                    pass
            assert raised.value.code == TOO_MANY_FRAMES


@FEW
@given(frames=st.integers(2, 30), rate=st.integers(1, 30), max_duration_s=st.floats(0.05, 3.0))
def test_time_is_counted_while_decoding(tmp_path_factory, frames, rate, max_duration_s):
    path = without_length(tmp_path_factory.mktemp("live") / "live.mkv", frames, rate=rate)
    last_frame_at = (frames - 1) / rate  # seconds from the first frame to the last
    with VideoReader(path, max_duration_s=max_duration_s) as reader:
        try:
            decoded = sum(1 for _ in reader.items())
        except VideoError as error:
            assert error.code == TOO_LONG and last_frame_at > max_duration_s - 1e-3
        else:
            assert decoded == frames and last_frame_at <= max_duration_s + 1e-3


def test_colorize_video_stops_at_the_frame_limit(colorizer, tmp_path):
    path = without_length(tmp_path / "live.mkv", 35, rate=12)
    with pytest.raises(VideoError) as raised:
        colorize_video(colorizer, path, tmp_path / "out.mp4", VideoOptions(max_frames=30, steadying=None))
    assert raised.value.code == TOO_MANY_FRAMES
    assert list(tmp_path.iterdir()) == [path]


# --- audio no decoder knows (item 5) ---------------------------------------------------


def unknown_audio(folder: Path) -> Path:
    """An AVI whose audio stream's format tag no FFmpeg decoder knows (PCM's 0x0001 rewritten)."""
    clip = write_clip(folder / "pcm.avi", pan_frames(6, 64, 48), rate=6, audio="pcm_s16le")
    data = bytearray(clip.read_bytes())
    audio_format = data.find(b"strf", data.find(b"strf") + 4) + 8  # the second stream's WAVEFORMATEX
    assert data[audio_format : audio_format + 2] == b"\x01\x00"
    data[audio_format : audio_format + 2] = b"\xcd\xab"
    path = folder / "unknown-audio.avi"
    path.write_bytes(bytes(data))
    return path


def test_an_audio_stream_no_decoder_knows_is_left_out_with_a_warning(colorizer, tmp_path, caplog):
    path = unknown_audio(tmp_path)
    with av.open(str(path)) as container:  # the red team's case: no codec at all
        context: Any = container.streams.audio[0].codec_context
        assert context is None or context.codec is None
    with caplog.at_level(logging.WARNING, logger="video.reader"):
        assert probe(path).audio_codecs == ()
    assert "audio stream left out" in caplog.text
    for suffix in (".mp4", ".avi", ".mkv"):
        output = tmp_path / f"out{suffix}"
        result = colorize_video(colorizer, path, output, VideoOptions(steadying=None))
        assert result.frames == 6 and result.audio_streams == 0
        with av.open(str(output)) as container:
            assert not container.streams.audio


# --- PCM, MP3, AC-3, mono and 5.1 into every output (item 6) ----------------------------


def with_audio(path: Path, codec: str, layout: str) -> Path:
    """A short clip with `codec` audio in `layout` (48 kHz), written as a camera or editor would."""
    rate, frames = 48000, 6
    with av.open(str(path), "w") as output:
        video: Any = output.add_stream("mpeg4" if path.suffix == ".avi" else "libx264", rate=6)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        sound: Any = output.add_stream(codec, rate=rate)
        sound.layout = layout
        output.start_encoding()
        for rgb in pan_frames(frames, 64, 48):
            for packet in video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                output.mux(packet)
        for packet in video.encode(None):
            output.mux(packet)
        channels = len(av.AudioLayout(layout).channels)
        for start in range(0, rate // 2, 1152):  # half a second of a 440 Hz tone
            tone = (0.2 * np.sin(np.arange(start, start + 1152) * 2 * np.pi * 440 / rate)).astype(np.float32)
            block = av.AudioFrame.from_ndarray(np.stack([tone] * channels), format="fltp", layout=layout)
            block.sample_rate, block.pts = rate, start
            for packet in sound.encode(block):
                output.mux(packet)
        for packet in sound.encode(None):
            output.mux(packet)
    return path


# PCM in every layout from every container (the red team's failure: its unordered layout reached
# the AAC encoder), and the other codecs where a layout must be mixed down or carried over.
AUDIO_CASES = [
    *(
        (suffix, "pcm_s16le", layout)
        for suffix in (".avi", ".mkv", ".mov", ".mp4")
        for layout in ("mono", "stereo", "5.1")
    ),
    (".avi", "aac", "5.1"),  # to AVI's MP3: LAME takes two channels at most
    (".mkv", "mp3", "stereo"),
    (".mov", "mp3", "mono"),
    (".mp4", "ac3", "5.1"),
]


@pytest.mark.parametrize(("suffix", "codec", "layout"), AUDIO_CASES)
def test_common_audio_comes_out_in_every_container(colorizer, tmp_path, suffix, codec, layout):
    source = with_audio(tmp_path / f"in{suffix}", codec, layout)
    # The service writes every result as MP4; the CLI keeps the input's container.
    for output_suffix in sorted({".mp4", suffix}):
        output = tmp_path / f"out{output_suffix}"
        result = colorize_video(colorizer, source, output, VideoOptions(steadying=None))
        assert result.audio_streams == 1
        with av.open(str(output)) as container:
            (audio,) = container.streams.audio
            channels = len(audio.codec_context.layout.channels)
            wanted = len(av.AudioLayout(layout).channels)
            assert channels == wanted or (channels == 2 and wanted > 2), audio.codec_context  # or mixed down
            assert sum(frame.samples for frame in container.decode(audio=0)) > 0.45 * 48000


# --- inputs that name other files (item 7) ---------------------------------------------

_NAMING_OTHERS = {
    "ffconcat": "ffconcat version 1.0\nfile '{target}'\n",
    "hls": "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{target}\n#EXT-X-ENDLIST\n",
    "dash": '<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"><Period><AdaptationSet>'
    '<Representation id="1" bandwidth="1"><BaseURL>{target}</BaseURL></Representation></AdaptationSet></Period></MPD>',
    "sdp": "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=video 5004 RTP/AVP 96\n",
}


@FEW
@given(
    kind=st.sampled_from(sorted(_NAMING_OTHERS)),
    suffix=st.sampled_from([".mp4", ".mkv", ".avi", ".mov", ".webm", ".gif", ".video"]),
    as_file_object=st.booleans(),
)
def test_inputs_that_name_other_files_are_refused(tmp_path_factory, kind, suffix, as_file_object):
    folder = tmp_path_factory.mktemp("naming")
    target = write_clip(folder / "another-job.mp4", pan_frames(4, 64, 48))
    path = folder / f"upload{suffix}"
    path.write_text(_NAMING_OTHERS[kind].format(target=target.name))
    source: Any = io.BytesIO(path.read_bytes()) if as_file_object else path
    with pytest.raises(VideoError) as raised:
        probe(source)
    assert raised.value.code == NOT_A_VIDEO


@pytest.mark.parametrize("image", ["PNG", "JPEG", "BMP"])
def test_a_still_image_is_not_a_film(tmp_path, image):
    """Image demuxers (png_pipe, jpeg_pipe, image2...) read image sequences: not on the list."""
    from PIL import Image

    path = tmp_path / "still.mp4"
    Image.new("RGB", (64, 48), (200, 10, 10)).save(path, format=image)
    with pytest.raises(VideoError) as raised:
        probe(path)
    assert raised.value.code == NOT_A_VIDEO


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv", ".webm", ".avi", ".gif"])
def test_every_container_taken_is_on_the_list(tmp_path, suffix):
    assert probe(write_clip(tmp_path / f"clip{suffix}", pan_frames(3, 64, 48))).width == 64
