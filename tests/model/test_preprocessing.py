import numpy as np
import pytest
import torch
import torch.nn.functional as F

from model.lab import lab_to_rgb
from model.preprocessing import _upsampled_ab_bands, compose, lightness_of, prepare, resize_lightness
from tests.conftest import make_photo


def _reference_compose(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """The plain torch path: upsample ab, stack with L, lab_to_rgb, round to 8 bits."""
    full_ab = F.interpolate(
        torch.from_numpy(ab)[None].double(), size=lightness.shape[-2:], mode="bilinear", align_corners=False
    )[0]
    rgb = lab_to_rgb(torch.cat([torch.from_numpy(lightness)[None].double(), full_ab]))
    return torch.round(rgb * 255).to(torch.int16).permute(1, 2, 0).numpy()


def test_compose_matches_the_torch_conversion():
    lightness = lightness_of(make_photo(101, 67, seed=5))
    ab = np.random.default_rng(0).standard_normal((2, 32, 64)).astype(np.float32) * 40
    result = compose(lightness, ab)
    assert result.mode == "RGB" and result.size == (101, 67)
    assert np.abs(np.asarray(result, dtype=np.int16) - _reference_compose(lightness, ab)).max() <= 1


def test_compose_at_full_resolution_skips_upsampling_and_keeps_alpha():
    lightness = lightness_of(make_photo(40, 30).convert("L"))
    ab = np.zeros((2, 30, 40), np.float32)
    alpha = np.tile(np.arange(40, dtype=np.uint8), (30, 1))
    result = compose(lightness, ab, alpha)
    assert result.mode == "RGBA"
    assert np.array_equal(np.asarray(result.getchannel("A")), alpha)
    rgb = np.asarray(result.convert("RGB"), dtype=np.int16)
    # ab = 0 is neutral grey: R = G = B within rounding.
    assert np.abs(rgb - rgb[..., 1:2]).max() <= 1


def test_prepare_gives_float32_lightness_for_gray_and_colour():
    for image in (make_photo(20, 10), make_photo(20, 10).convert("L")):
        lightness = prepare(image).lightness
        assert lightness.shape == (10, 20) and lightness.dtype == np.float32
        assert float(lightness.min()) >= 0 and float(lightness.max()) <= 100


@pytest.mark.parametrize(
    "source,target,band_rows",
    [
        ((24, 32), (67, 101), 5),
        ((64, 88), (750, 1000), 32),
        ((7, 9), (7, 9), 3),
        ((40, 50), (13, 17), 4),
        ((1, 1), (5, 6), 2),
    ],
)
def test_banded_upsampling_equals_interpolate(source, target, band_rows):
    ab = torch.randn(2, *source, generator=torch.Generator().manual_seed(1)) * 50
    expected = F.interpolate(ab[None], size=target, mode="bilinear", align_corners=False)[0].numpy()
    bands = []
    for top, bottom, band in _upsampled_ab_bands(ab.numpy(), target[0], target[1], band_rows):
        assert band.shape == (2, bottom - top, target[1])
        bands.append(band.copy())  # the generator reuses its buffer
    # Both sides are float32 (torch computes its sampling positions in float32 too).
    assert np.abs(np.concatenate(bands, axis=1) - expected).max() < 2e-3


@pytest.mark.parametrize("source,target", [((480, 640), (256, 352)), ((50, 37), (64, 64)), ((33, 999), (32, 480))])
def test_resize_lightness_equals_antialiased_interpolate(source, target):
    """The NumPy/Pillow resize the network's input goes through is torch's antialiased bilinear."""
    lightness = (np.random.default_rng(3).random(source) * 100).astype(np.float32)
    expected = F.interpolate(
        torch.from_numpy(lightness)[None, None], size=target, mode="bilinear", align_corners=False, antialias=True
    )[0, 0].numpy()
    resized = resize_lightness(lightness, target)
    assert resized.shape == target and resized.dtype == np.float32
    assert np.abs(resized - expected).max() < 5e-3
