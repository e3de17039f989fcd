import numpy as np
import pytest
import torch
from skimage import color

from model.lab import DEFAULT_NORMALIZATION, lab_to_rgb, rgb_to_lab, rgb_to_lightness
from tests.conftest import make_photo


def _to_tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(array.astype(np.float32)).permute(2, 0, 1)


def _random_colours(count: int = 4096) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.random((count, 1, 3)).reshape(64, count // 64, 3)


@pytest.mark.parametrize("source", ["random", "photo"])
def test_rgb_to_lab_matches_skimage(source):
    rgb = _random_colours() if source == "random" else np.asarray(make_photo(96, 64)) / 255.0
    expected = color.rgb2lab(rgb)
    actual = rgb_to_lab(_to_tensor(rgb)).permute(1, 2, 0).numpy()
    assert np.abs(actual - expected).max() < 0.1


def test_lab_to_rgb_matches_skimage_and_round_trips():
    rgb = _random_colours()
    lab = color.rgb2lab(rgb)
    expected = color.lab2rgb(lab)
    actual = lab_to_rgb(_to_tensor(lab)).permute(1, 2, 0).numpy()
    assert np.abs(actual - expected).max() < 1 / 255
    round_trip = lab_to_rgb(rgb_to_lab(_to_tensor(rgb))).permute(1, 2, 0).numpy()
    assert np.abs(round_trip - rgb).max() < 1 / 255


@pytest.mark.filterwarnings("ignore:Conversion from CIE-LAB")
def test_out_of_gamut_lab_is_clipped_like_skimage():
    rng = np.random.default_rng(2)
    lab = np.stack(
        [rng.uniform(0, 100, (32, 32)), rng.uniform(-128, 127, (32, 32)), rng.uniform(-128, 127, (32, 32))], axis=-1
    )
    expected = color.lab2rgb(lab)
    actual = lab_to_rgb(_to_tensor(lab)).permute(1, 2, 0).numpy()
    assert actual.min() >= 0 and actual.max() <= 1
    assert np.abs(actual - expected).max() < 1 / 255


def test_batched_conversion_equals_per_image():
    batch = torch.rand(3, 3, 8, 10)
    together = rgb_to_lab(batch)
    one_by_one = torch.stack([rgb_to_lab(image) for image in batch])
    assert torch.allclose(together, one_by_one, atol=1e-3)
    assert torch.allclose(rgb_to_lightness(batch), together[:, :1], atol=1e-3)


def test_normalization_round_trip_and_range():
    lab = rgb_to_lab(torch.rand(2, 3, 16, 16))
    norm = DEFAULT_NORMALIZATION
    l_norm, ab_norm = norm.normalize_l(lab[:, :1]), norm.normalize_ab(lab[:, 1:])
    assert l_norm.min() >= -1 and l_norm.max() <= 1
    assert ab_norm.abs().max() <= 1
    assert torch.allclose(norm.denormalize_l(l_norm), lab[:, :1], atol=1e-4)
    assert torch.allclose(norm.denormalize_ab(ab_norm), lab[:, 1:], atol=1e-4)


def test_lab_constants_cross_to_an_accelerator_once():
    """A copy from host memory makes the host wait for the GPU: the colour conversions must not make one per step."""
    from model import lab

    like = torch.empty(1, 3, 2, 2, device="meta")
    first = lab._matrix(lab._XYZ_FROM_RGB, like)
    assert first.device.type == "meta" and first.dtype == like.dtype
    assert lab._matrix(lab._XYZ_FROM_RGB, like) is first
    assert lab._matrix(lab._XYZ_FROM_RGB[1], like) is lab._matrix(lab._XYZ_FROM_RGB[1], like)
    assert lab._matrix(lab._XYZ_FROM_RGB[1], like) is not first
    assert lab.rgb_to_lab(torch.rand(1, 3, 2, 2, device="meta")).shape == (1, 3, 2, 2)
