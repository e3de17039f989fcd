"""Keyframes through colorize_video with real FFmpeg: carried through their shot, stopped at cuts, refused when bad."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import Image

from benchmarks.flicker import PsnrMeter
from model.colorizer import Colorizer
from model.hints import Hint
from model.lab_numpy import srgb8_to_lab
from tests.video.clips import pan_frames, read_frames, write_clip
from video import Keyframe, KeyframeError, VideoOptions, colorize_video
from video.keyframe_input import MAX_KEYFRAMES, read_keyframe_image
from video.keyframes import Carrying

RATE = 25


@pytest.fixture(scope="module")
def colorizer(tiny_artifact):
    return Colorizer.load(tiny_artifact, device="cpu")


def psnr(frames: list[np.ndarray], truth: list[np.ndarray]) -> float:
    meter = PsnrMeter()
    for frame, true_frame in zip(frames, truth, strict=True):
        meter.add(frame, true_frame)
    return meter.value()


def mean_ab(frame: np.ndarray) -> np.ndarray:
    return srgb8_to_lab(frame)[..., 1:].reshape(-1, 2).mean(axis=0)


def test_a_keyframe_colours_its_shot_both_ways_and_stops_at_the_cut(colorizer, tmp_path):
    first, second = pan_frames(10, 96, 64, seed=0), pan_frames(10, 96, 64, seed=7)
    source = write_clip(tmp_path / "two-shots.mp4", first + second)
    truth = read_frames(source)
    keyframe = Keyframe(time=5 / RATE, image=Image.fromarray(truth[5]))
    colorize_video(colorizer, source, tmp_path / "auto.mp4", VideoOptions(crf=0))
    automatic = read_frames(tmp_path / "auto.mp4")
    result = colorize_video(colorizer, source, tmp_path / "key.mp4", VideoOptions(crf=0), keyframes=[keyframe])
    keyed = read_frames(tmp_path / "key.mp4")
    assert result.cut_frames == [0, 10] and result.keyframe_frames == [5]
    others = [index for index in range(10) if index != 5]
    gain = psnr([keyed[i] for i in others], [truth[i] for i in others]) - psnr(
        [automatic[i] for i in others], [truth[i] for i in others]
    )
    assert gain > 6  # frames before and after the keyframe take its colours (random weights colour wildly)
    # The second shot is untouched: the cut ends the keyframe's influence.
    assert np.abs(np.asarray(keyed[10:], float) - np.asarray(automatic[10:], float)).mean() < 0.5


def test_keyframes_of_one_shot_blend_by_distance_in_time(colorizer, tmp_path):
    still = np.asarray(Image.fromarray(pan_frames(1, 96, 64)[0]).convert("L").convert("RGB"))
    source = write_clip(tmp_path / "still.mp4", [still] * 9)
    red, blue = Image.new("RGB", (96, 64), (200, 40, 40)), Image.new("RGB", (48, 32), (40, 60, 200))  # blue: half size
    keyframes = [Keyframe(0.0, image=red), Keyframe(8 / RATE, image=blue)]
    colorize_video(colorizer, source, tmp_path / "out.mp4", VideoOptions(crf=0), keyframes=keyframes)
    b_values = [mean_ab(frame)[1] for frame in read_frames(tmp_path / "out.mp4")]  # b*: red > 0 > blue
    assert b_values[0] > 20 and b_values[-1] < -20
    assert all(later < earlier for earlier, later in itertools.pairwise(b_values))  # red fades to blue
    middle = (b_values[0] + b_values[-1]) / 2
    assert abs(b_values[4] - middle) < 0.15 * (b_values[0] - b_values[-1])


def test_pins_without_an_image_colour_the_first_frame_and_follow_the_shot(colorizer, tmp_path):
    frames = pan_frames(8, 96, 64, seed=2)
    source = write_clip(tmp_path / "pan.mp4", frames)
    pins = tuple(Hint(x, y, (30, 160, 40)) for x in (0.25, 0.75) for y in (0.25, 0.75))
    colorize_video(colorizer, source, tmp_path / "auto.mp4", VideoOptions(crf=0))
    colorize_video(
        colorizer, source, tmp_path / "pinned.mp4", VideoOptions(crf=0), keyframes=[Keyframe(0.0, hints=pins)]
    )
    green = mean_ab(np.array([[[30, 160, 40]]], dtype=np.uint8))
    for automatic, pinned in zip(read_frames(tmp_path / "auto.mp4"), read_frames(tmp_path / "pinned.mp4"), strict=True):
        # Every frame of the shot, the last included, is nearer the pins' green than the automatic colour.
        assert np.linalg.norm(mean_ab(pinned) - green) < np.linalg.norm(mean_ab(automatic) - green) - 5


def test_a_films_pins_spread_as_far_as_its_carrying_says(colorizer, tmp_path):
    """VideoOptions.carrying.pin_reach scales how far the pins' correction spreads: one pin in a
    corner changes the far corner less at a smaller reach, and its own corner as much."""
    still = np.asarray(Image.fromarray(pan_frames(1, 96, 64, seed=3)[0]).convert("L").convert("RGB"))
    flat = np.full_like(still, int(still.mean()))  # one lightness: nothing stops the spread but the reach
    source = write_clip(tmp_path / "flat.mp4", [flat] * 4)
    pins = [Keyframe(0.0, hints=(Hint(0.05, 0.05, (30, 160, 40)),))]
    colorize_video(colorizer, source, tmp_path / "auto.mp4", VideoOptions(crf=0))
    automatic = read_frames(tmp_path / "auto.mp4")[0].astype(float)
    changes = {}
    for reach in (1.0, 0.25):
        options = VideoOptions(crf=0, carrying=Carrying(pin_reach=reach))
        colorize_video(colorizer, source, tmp_path / f"pinned-{reach}.mp4", options, keyframes=pins)
        change = np.abs(read_frames(tmp_path / f"pinned-{reach}.mp4")[0].astype(float) - automatic).sum(axis=-1)
        changes[reach] = (change[:8, :8].mean(), change[-16:, -24:].mean())
    assert changes[0.25][0] > 0.7 * changes[1.0][0]  # at the pin: its colour either way
    assert changes[0.25][1] < 0.5 * changes[1.0][1]  # far from it: less spread
    with pytest.raises(ValueError, match="pin_reach"):
        Carrying(pin_reach=0.0)


def test_a_seekable_file_object_is_read_twice(colorizer, tmp_path):
    source = write_clip(tmp_path / "clip.mkv", pan_frames(5, 64, 48))
    keyframe = Keyframe(0.0, image=Image.fromarray(read_frames(source)[0]))
    buffer = io.BytesIO()
    with open(source, "rb") as handle:
        result = colorize_video(colorizer, handle, buffer, suffix=".mkv", keyframes=[keyframe])
    assert result.frames == 5 and result.keyframe_frames == [0]


def colour(width: int = 64, height: int = 48) -> Image.Image:
    return Image.fromarray(pan_frames(1, width, height, seed=4)[0])


@pytest.mark.parametrize(
    ("keyframes", "code"),
    [
        ([Keyframe(-0.5, image=colour())], "keyframe_time_out_of_range"),
        ([Keyframe(3.0, image=colour())], "keyframe_time_out_of_range"),
        ([Keyframe(float("nan"), image=colour())], "keyframe_time_out_of_range"),
        ([Keyframe(0.0, image=colour().convert("L"))], "keyframe_not_colour"),
        ([Keyframe(0.0, image=colour().convert("L").convert("RGB"))], "keyframe_not_colour"),
        ([Keyframe(0.0, image=colour(64, 64))], "keyframe_aspect_ratio"),
        ([Keyframe(0.1, image=colour()), Keyframe(0.1, image=colour())], "duplicate_keyframe_time"),
        ([Keyframe(0.1, image=colour()), Keyframe(0.101, image=colour())], "duplicate_keyframe_time"),
        ([Keyframe(index / 100, image=colour()) for index in range(MAX_KEYFRAMES + 1)], "too_many_keyframes"),
        ([Keyframe(0.0)], "empty_keyframe"),
    ],
)
def test_bad_keyframes_are_refused_and_leave_no_output(keyframes, code, colorizer, tmp_path):
    source = write_clip(tmp_path / "clip.mp4", pan_frames(10, 64, 48))
    with pytest.raises(KeyframeError) as caught:
        colorize_video(colorizer, source, tmp_path / "out.mp4", keyframes=keyframes)
    assert caught.value.code == code
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip.mp4"]


def test_a_keyframe_of_another_size_is_resized(colorizer, tmp_path):
    source = write_clip(tmp_path / "clip.mp4", pan_frames(4, 64, 48))
    result = colorize_video(colorizer, source, tmp_path / "out.mp4", keyframes=[Keyframe(0.0, image=colour(128, 96))])
    assert result.keyframe_frames == [0]


def test_a_keyframe_file_that_is_not_an_image_has_its_code():
    with pytest.raises(KeyframeError) as caught:
        read_keyframe_image(b"GIF89a but not really", "still.png")
    assert caught.value.code == "keyframe_not_an_image"
    buffer = io.BytesIO()
    colour().save(buffer, format="PNG")
    assert read_keyframe_image(buffer.getvalue()).size == (64, 48)
