"""model.propagation: hint corrections spread along lightness and stop at its edges."""

from dataclasses import replace

import numpy as np

from model.hints import Hint, paint_hints
from model.lab_numpy import DEFAULT_NORMALIZATION
from model.propagation import Propagation, hint_presence, propagate_hints, spread_hints


def _two_regions(height=64, width=96):
    """Left half L = 30, right half L = 70: one strong vertical edge."""
    lightness = np.full((height, width), 30.0, dtype=np.float32)
    lightness[:, width // 2 :] = 70.0
    return lightness


def test_no_hints_leave_the_prediction_unchanged():
    lightness = _two_regions()
    ab = np.random.default_rng(0).normal(size=(2, 64, 96)).astype(np.float32)
    out = propagate_hints(lightness, ab, np.zeros_like(ab), np.zeros((64, 96), np.float32))
    assert out is ab


def test_a_hint_recolours_its_region_and_stops_at_the_edge():
    lightness = _two_regions()
    ab = np.zeros((2, 64, 96), dtype=np.float32)
    hint_ab = np.zeros_like(ab)
    mask = np.zeros((64, 96), dtype=np.float32)
    mask[30:35, 10:15] = 1
    hint_ab[0, mask > 0] = 60.0  # red-ish a*
    out = propagate_hints(lightness, ab, hint_ab, mask, Propagation(work_side=64))
    assert out[0, 32, 12] > 50  # the hint itself holds
    assert out[0, 60, 40] > 10  # far across its own region
    assert abs(out[0, 32, 60]) < 5  # just across the edge: barely touched
    assert abs(out[1]).max() < 1e-3  # b* had nothing to correct


def test_the_correction_fades_with_distance_in_a_uniform_region():
    lightness = np.full((64, 128), 50.0, dtype=np.float32)
    ab = np.zeros((2, 64, 128), dtype=np.float32)
    mask = np.zeros((64, 128), dtype=np.float32)
    mask[30:34, 2:6] = 1
    hint_ab = np.zeros_like(ab)
    hint_ab[1, mask > 0] = 50.0
    out = propagate_hints(lightness, ab, hint_ab, mask, Propagation(reach=0.5, work_side=64))
    near, middle, far = out[1, 32, 10], out[1, 32, 60], out[1, 32, 120]
    assert near > middle > far > 0
    assert far < 0.5 * near


def test_a_coarser_working_grid_gives_nearly_the_same_answer():
    rng = np.random.default_rng(1)
    lightness = _two_regions(128, 128)
    ab = rng.normal(scale=5, size=(2, 128, 128)).astype(np.float32)
    mask = np.zeros((128, 128), dtype=np.float32)
    mask[60:65, 20:25] = 1
    hint_ab = np.where(mask > 0, 40.0, 0.0).astype(np.float32)[None].repeat(2, axis=0)
    fine = propagate_hints(lightness, ab, hint_ab, mask, Propagation(work_side=128))
    coarse = propagate_hints(lightness, ab, hint_ab, mask, Propagation(work_side=64))
    assert np.median(np.abs(fine - coarse)) < 2.0


def test_hint_presence_is_whole_at_the_hints_and_fades_as_their_correction_does():
    lightness = _two_regions()
    mask = np.zeros((64, 96), dtype=np.float32)
    assert not hint_presence(lightness, mask).any()
    mask[30:35, 10:15] = 1
    settings = Propagation(work_side=64)
    presence = hint_presence(lightness, mask, settings)
    assert presence.shape == (64, 96) and presence.min() >= 0 and presence.max() <= 1
    assert presence[32, 12] > 0.8  # on the hint
    assert presence[32, 60] < 0.1  # across the edge
    # It is exactly how much of a hint's correction arrives: a correction of 1 spread the same way.
    hint_ab = np.stack([mask, mask])
    spread = propagate_hints(lightness, np.zeros((2, 64, 96), np.float32), hint_ab, mask, settings)
    assert np.allclose(presence, np.clip(spread[0], 0, 1), atol=1e-5)


def test_spread_hints_propagates_each_reach_and_a_gain_yields_where_they_reach():
    lightness = _two_regions()
    ab = np.random.default_rng(5).normal(0.0, 10.0, size=(2, 64, 96)).astype(np.float32)
    settings = Propagation(work_side=64)
    pins = [Hint(0.25, 0.5, (200, 30, 30)), Hint(0.1, 0.1, (30, 30, 200), "small")]
    assert spread_hints(lightness, ab, [], settings, chroma_gain=1.3) is ab
    # Gain 1: the plain propagation, widest reach first.
    painted = paint_hints(pins, 64, 96)
    hint_ab = DEFAULT_NORMALIZATION.denormalize_ab(painted[:2])
    whole, small = paint_hints(pins[:1], 64, 96)[2], paint_hints(pins[1:], 64, 96)[2]
    plain = propagate_hints(lightness, ab, hint_ab, whole, settings)
    plain = propagate_hints(lightness, plain, hint_ab, small, replace(settings, reach=0.05))
    assert np.array_equal(spread_hints(lightness, ab, pins, settings), plain)
    # A gain: the pins are placed on the colour as trained; the gain stays out of their reach.
    gained = spread_hints(lightness, ab * np.float32(1.3), pins, settings, chroma_gain=1.3)
    assert np.allclose(gained[:, 32, 24], plain[:, 32, 24], atol=1.0)  # on the red pin
    assert np.allclose(gained[:, :, 70:], ab[:, :, 70:] * 1.3, atol=0.5)  # well across the edge
