"""The NumPy serving paths in model.lab_numpy against the torch formulas and scikit-image."""

import numpy as np
import pytest
import torch
from skimage import color

from model.lab import lab_to_rgb, linear_to_srgb, rgb_to_lightness, srgb_to_linear
from model.lab_numpy import gray8_to_lightness, lab_to_srgb8, linear_to_srgb8, rgb8_to_lightness


def _formula_codes(linear: np.ndarray, dtype=torch.float64) -> np.ndarray:
    """round(255 * linear_to_srgb(x)), the float formula the lookup table replaces."""
    encoded = linear_to_srgb(torch.from_numpy(linear.astype(np.float64)).to(dtype)).clamp(0.0, 1.0)
    return torch.round(encoded * 255.0).to(torch.int16).numpy()


def _values_around_every_code_step() -> np.ndarray:
    # The float32 neighbours of each code boundary, where a table is most likely to be off.
    boundaries = srgb_to_linear(torch.arange(0.5, 255.0, 1.0, dtype=torch.float64) / 255.0).float().numpy()
    nearby = [boundaries]
    for direction in (np.inf, -np.inf):
        step = boundaries
        for _ in range(3):
            step = np.nextafter(step, np.float32(direction))
            nearby.append(step)
    return np.concatenate(nearby)


def test_linear_to_srgb8_equals_the_float64_formula_exactly():
    dense = np.linspace(-0.01, 1.01, 2_000_001, dtype=np.float32)
    values = np.concatenate(
        [dense, _values_around_every_code_step(), np.array([0.0, 1.0, -5.0, 7.0], dtype=np.float32)]
    )
    assert np.array_equal(linear_to_srgb8(values).astype(np.int16), _formula_codes(values))


def test_linear_to_srgb8_is_within_one_level_of_the_float32_formula():
    values = np.random.default_rng(0).uniform(-0.05, 1.05, (256, 300)).astype(np.float32)
    difference = linear_to_srgb8(values).astype(np.int16) - _formula_codes(values, torch.float32)
    assert np.abs(difference).max() <= 1


def test_linear_to_srgb8_clips_out_of_range_and_nan():
    values = np.array([-np.inf, -3e38, -1.0, np.nan, 1.5, 3e38, np.inf], dtype=np.float32)
    assert linear_to_srgb8(values).tolist() == [0, 0, 0, 0, 255, 255, 255]


def test_linear_to_srgb8_fills_out_and_keeps_shape():
    values = np.random.default_rng(1).random((4, 5, 3)).astype(np.float32)
    out = np.empty((4, 5, 3), dtype=np.uint8)
    assert linear_to_srgb8(values, out=out) is out
    assert np.array_equal(out.astype(np.int16), _formula_codes(values))


def _random_lab(height: int, width: int, seed: int = 2, in_gamut: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if in_gamut:
        return color.rgb2lab(rng.random((height, width, 3))).astype(np.float32)
    return np.stack(
        [
            rng.uniform(0, 100, (height, width)),
            rng.uniform(-128, 127, (height, width)),
            rng.uniform(-128, 127, (height, width)),
        ],
        axis=-1,
    ).astype(np.float32)


@pytest.mark.parametrize("in_gamut", [True, False])
@pytest.mark.filterwarnings("ignore:Conversion from CIE-LAB")
def test_lab_to_srgb8_matches_lab_to_rgb_and_skimage(in_gamut):
    lab = _random_lab(37, 53, in_gamut=in_gamut)
    # 100-pixel bands: one row a band plus a remainder at the bottom edge.
    ours = lab_to_srgb8(lab[..., 0], np.moveaxis(lab[..., 1:], -1, 0), band_pixels=100).astype(np.int16)
    torch_rgb = lab_to_rgb(torch.from_numpy(lab.astype(np.float64)).permute(2, 0, 1)).permute(1, 2, 0)
    assert np.abs(ours - torch.round(torch_rgb * 255).to(torch.int16).numpy()).max() <= 1
    skimage_rgb = np.round(color.lab2rgb(lab.astype(np.float64)) * 255).astype(np.int16)
    assert np.abs(ours - skimage_rgb).max() <= 1


def test_lab_to_srgb8_does_not_depend_on_the_band_size():
    lab = _random_lab(29, 41, seed=3, in_gamut=False)
    lightness, ab = lab[..., 0], np.moveaxis(lab[..., 1:], -1, 0)
    whole = lab_to_srgb8(lightness, ab)
    for band_pixels in (1, 41, 500):
        assert np.array_equal(lab_to_srgb8(lightness, ab, band_pixels=band_pixels), whole)


def test_lab_to_srgb8_checks_shapes_and_out():
    with pytest.raises(ValueError, match="ab must be shaped"):
        lab_to_srgb8(np.zeros((4, 5), np.float32), np.zeros((2, 4, 6), np.float32))
    strided_out = np.zeros((4, 5, 4), np.uint8)[..., :3]  # writes to a copy would be lost
    with pytest.raises(ValueError, match="C-contiguous"):
        lab_to_srgb8(np.zeros((4, 5), np.float32), np.zeros((2, 4, 5), np.float32), out=strided_out)


def test_rgb8_to_lightness_matches_torch_and_skimage():
    red, green = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    every_red_green = np.stack([red, green, (red * 7 + green * 13) % 256], axis=-1)  # every R and G pair
    random = np.random.default_rng(4).integers(0, 256, (256, 256, 3))
    rgb = np.concatenate([every_red_green, random], axis=0).astype(np.uint8)
    ours = rgb8_to_lightness(rgb, band_pixels=1000)
    reference = rgb_to_lightness(torch.from_numpy(rgb).permute(2, 0, 1).double() / 255.0)[0].numpy()
    assert np.abs(ours - reference).max() < 1e-3
    assert np.abs(ours - color.rgb2lab(rgb)[..., 0]).max() < 0.1


def test_gray8_to_lightness_matches_skimage_for_every_level():
    gray = np.arange(256, dtype=np.uint8).reshape(16, 16)
    expected = color.rgb2lab(np.repeat(gray[..., None], 3, axis=-1))[..., 0]
    assert np.abs(gray8_to_lightness(gray, band_pixels=48) - expected).max() < 0.1


def test_lightness_functions_reject_other_dtypes():
    with pytest.raises(TypeError):
        gray8_to_lightness(np.zeros((2, 2), np.float32))
    with pytest.raises(TypeError):
        rgb8_to_lightness(np.zeros((2, 2), np.uint8))
