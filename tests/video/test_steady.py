"""ColourSteadier: carries colour along the motion, trusts new content where the flow fails."""

from __future__ import annotations

import numpy as np
import pytest

from model.lab_numpy import rgb8_to_lightness
from tests.video.clips import pan_frames
from video.steady import ColourSteadier, Steadying


def test_first_frame_and_reset_show_the_prediction():
    steadier = ColourSteadier()
    lightness = rgb8_to_lightness(pan_frames(1, 64, 48)[0])
    ab = np.random.default_rng(0).normal(0, 10, (2, 48, 64)).astype(np.float32)
    np.testing.assert_array_equal(steadier(lightness, ab), ab)
    steadier.reset()
    np.testing.assert_array_equal(steadier(lightness, -ab), -ab)


def test_a_still_scene_averages_noisy_predictions():
    """Predictions that jitter around one colour come out steadier, still centred on it."""
    rng = np.random.default_rng(1)
    lightness = rgb8_to_lightness(pan_frames(1, 96, 64)[0])
    steadier = ColourSteadier(Steadying(carry=0.9))
    shown = []
    for _ in range(40):
        predicted = (np.float32(20) + rng.normal(0, 6, (2, 64, 96))).astype(np.float32)
        shown.append(steadier(lightness, predicted))
    late = np.stack(shown[20:])
    assert late.std(axis=0).mean() < 6 * 0.4  # per-frame jitter is 6
    assert late.mean() == pytest.approx(20, abs=1)


def test_colour_follows_the_motion():
    """A pan: the colour given to the first frame's content stays on that content as it moves."""
    frames = pan_frames(6, 96, 64, seed=2)
    steadier = ColourSteadier(Steadying(carry=0.95))
    first_l = rgb8_to_lightness(frames[0])
    painted = np.zeros((2, 64, 96), np.float32)
    painted[0, :, 40:56] = 40  # a red stripe on the content of columns 40..55
    steadier(first_l, painted)
    shown = painted
    for index in range(1, 6):
        shown = steadier(rgb8_to_lightness(frames[index]), np.zeros_like(painted))
    # pan_frames moves the view 2 px right and 1 px down per frame: the content went 10 px left.
    stripe = shown[0, 20:44, 32:44].mean()
    left_behind = shown[0, 20:44, 48:56].mean()
    assert stripe > 15 and left_behind < stripe / 3


def test_new_content_gets_the_new_prediction():
    """Where the lightness no longer matches anything carried, the steadier trusts the network."""
    steadier = ColourSteadier()
    dark = np.full((48, 64), 20, np.float32)
    steadier(dark, np.full((2, 48, 64), 30, np.float32))
    bright = dark.copy()
    bright[:, 32:] = 90  # a bright object appears on the right half
    shown = steadier(bright, np.full((2, 48, 64), -30, np.float32))
    assert shown[:, :, 40:].mean() < -25  # the object: the new prediction
    assert shown[:, :, :24].mean() > 20  # the unchanged left: the carried colour
    assert 0 < steadier.last_confidence < 1


def test_bad_settings_are_refused():
    for settings in ({"carry": 1.0}, {"carry": -0.1}, {"lightness_tolerance": 0}, {"preset": "slowest"}):
        with pytest.raises(ValueError):
            Steadying(**settings)
