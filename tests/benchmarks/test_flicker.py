"""CDC and PSNR, the video benchmarks' measures."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.flicker import CdcMeter, PsnrMeter, cdc, channel_histograms, jensen_shannon


def test_jensen_shannon_bounds():
    first, second = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert jensen_shannon(first, first) == 0.0
    assert jensen_shannon(first, second) == pytest.approx(1.0)  # base 2: disjoint is 1
    assert 0 < jensen_shannon(first, np.array([0.5, 0.5])) < 1


def test_cdc_is_zero_for_a_still_and_grows_with_flicker():
    rng = np.random.default_rng(0)
    still = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    assert cdc([still] * 6) == 0.0
    small = [np.clip(still.astype(int) + (5 if index % 2 else 0), 0, 255).astype(np.uint8) for index in range(6)]
    large = [np.clip(still.astype(int) + (40 if index % 2 else 0), 0, 255).astype(np.uint8) for index in range(6)]
    assert 0 < cdc(small) < cdc(large)


def test_cdc_uses_gaps_one_two_and_four():
    """A change every fourth frame is invisible at gap 4 and seen at gaps 1 and 2."""
    base = np.zeros((4, 4, 3), np.uint8)
    frames = [base + (100 if index % 4 == 3 else 0) for index in range(9)]
    meter = CdcMeter(gaps=(4,))
    for frame in frames:
        meter.add(frame)
    assert meter.value() == 0.0
    assert cdc(frames) > 0
    assert channel_histograms(base).sum(axis=1) == pytest.approx([1, 1, 1])


def test_cdc_pairs_no_frames_across_a_shot_cut():
    """Two still shots of different colours: a cut, not flicker, once the cut is named."""
    red, blue = np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8)
    red[..., 0], blue[..., 2] = 200, 200
    frames = [red] * 5 + [blue] * 5
    assert cdc(frames) > 0.1
    assert cdc(frames, shot_starts=frozenset({5})) == 0.0


def test_psnr():
    meter = PsnrMeter()
    truth = np.full((4, 4, 3), 100, np.uint8)
    meter.add(truth + 1, truth)  # error 1 everywhere: 20 log10(255)
    assert meter.value() == pytest.approx(48.13, abs=0.01)
