import numpy as np
import pytest
import torch
import torch.nn.functional as F

from model.lab import lab_to_rgb
from model.preprocessing import _upsampled_ab_bands, compose, lightness_of, prepare
from tests.conftest import make_photo


def _reference_compose(lightness: torch.Tensor, ab: torch.Tensor) -> np.ndarray:
    """The plain torch path: upsample ab, stack with L, lab_to_rgb, round to 8 bits."""
    full_ab = F.interpolate(ab[None].double(), size=lightness.shape[-2:], mode="bilinear", align_corners=False)[0]
    rgb = lab_to_rgb(torch.cat([lightness.double(), full_ab]))
    return torch.round(rgb * 255).to(torch.int16).permute(1, 2, 0).numpy()


def test_compose_matches_the_torch_conversion():
    lightness = lightness_of(make_photo(101, 67, seed=5))
    ab = torch.randn(2, 32, 64, generator=torch.Generator().manual_seed(0)) * 40
    result = compose(lightness, ab)
    assert result.mode == "RGB" and result.size == (101, 67)
    assert np.abs(np.asarray(result, dtype=np.int16) - _reference_compose(lightness, ab)).max() <= 1


def test_compose_at_full_resolution_skips_upsampling_and_keeps_alpha():
    lightness = lightness_of(make_photo(40, 30).convert("L"))
    ab = torch.zeros(2, 30, 40)
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
        assert lightness.shape == (1, 10, 20) and lightness.dtype == torch.float32
        assert 0 <= float(lightness.min()) and float(lightness.max()) <= 100


@pytest.mark.parametrize(
    "source,target,band_rows",
    [((24, 32), (67, 101), 5), ((64, 88), (750, 1000), 32), ((7, 9), (7, 9), 3), ((40, 50), (13, 17), 4), ((1, 1), (5, 6), 2)],
)
def test_banded_upsampling_equals_interpolate(source, target, band_rows):
    ab = torch.randn(2, *source, generator=torch.Generator().manual_seed(1)) * 50
    expected = F.interpolate(ab[None], size=target, mode="bilinear", align_corners=False)[0].numpy()
    bands = []
    for top, bottom, band in _upsampled_ab_bands(ab, *target, band_rows):
        assert band.shape == (2, bottom - top, target[1])
        bands.append(band.copy())  # the generator reuses its buffer
    assert np.abs(np.concatenate(bands, axis=1) - expected).max() < 1e-3
