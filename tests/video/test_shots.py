"""ShotCutDetector: cuts between scenes, none within a moving shot."""

from __future__ import annotations

from model.lab_numpy import rgb8_to_lightness
from tests.video.clips import pan_frames
from video.shots import ShotCutDetector, histogram_distance, lightness_histogram


def test_cuts_between_scenes_and_not_within_a_pan():
    first = [rgb8_to_lightness(frame) for frame in pan_frames(8, 64, 48, seed=0)]
    # Another scene: the same kind of picture, darker and inverted.
    second = [100 - 0.6 * plane for plane in first]
    detector = ShotCutDetector()
    cuts = [index for index, plane in enumerate(first + second) if detector(plane)]
    assert cuts == [0, 8]


def test_histogram_distance_bounds():
    plane = rgb8_to_lightness(pan_frames(1, 64, 48)[0])
    histogram = lightness_histogram(plane)
    assert histogram.sum() == 1.0 or abs(histogram.sum() - 1.0) < 1e-9
    assert histogram_distance(histogram, histogram) == 0.0
    assert histogram_distance(lightness_histogram(plane * 0), lightness_histogram(plane * 0 + 99)) == 1.0


def test_the_cuts_of_real_footage():
    """bikes.mp4 (real street footage) is a montage: cuts before frames 30, 76, 137, 187 and 242 (seen by eye)."""
    from benchmarks.video_clips import decoded_frames, packaged_clip
    from model.preprocessing import render_shape, resize_lightness

    detector = ShotCutDetector()
    cuts = []
    for index, frame in enumerate(decoded_frames(packaged_clip("bikes.mp4"))):
        lightness = rgb8_to_lightness(frame)
        height, width = lightness.shape
        if detector(resize_lightness(lightness, render_shape(height, width, 256))):
            cuts.append(index)
    assert cuts == [0, 30, 76, 137, 187, 242]
