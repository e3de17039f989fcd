import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from training.metrics import colorfulness, psnr, ssim


def _pair(seed: int = 0):
    rng = np.random.default_rng(seed)
    truth = rng.random((2, 40, 52, 3))
    noisy = np.clip(truth + rng.normal(0, 0.05, truth.shape), 0, 1)
    return truth, noisy


def _t(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(array).permute(0, 3, 1, 2).float()


def test_psnr_equals_skimage():
    truth, noisy = _pair()
    ours = psnr(_t(noisy), _t(truth))
    for index in range(2):
        expected = peak_signal_noise_ratio(
            truth[index].astype(np.float32), noisy[index].astype(np.float32), data_range=1.0
        )
        assert ours[index].item() == pytest.approx(expected, abs=1e-3)


def test_ssim_equals_skimage():
    truth, noisy = _pair(1)
    ours = ssim(_t(noisy), _t(truth))
    for index in range(2):
        expected = structural_similarity(
            truth[index].astype(np.float32), noisy[index].astype(np.float32), channel_axis=-1, data_range=1.0
        )
        assert ours[index].item() == pytest.approx(expected, abs=1e-4)


def test_colorfulness_of_gray_is_zero_and_grows_with_saturation():
    gray = torch.full((1, 3, 8, 8), 0.5)
    assert colorfulness(gray).item() == pytest.approx(0.0, abs=1e-4)
    dull = torch.tensor([0.55, 0.5, 0.45]).view(1, 3, 1, 1).repeat(1, 1, 8, 8)
    vivid = torch.tensor([0.9, 0.3, 0.1]).view(1, 3, 1, 1).repeat(1, 1, 8, 8)
    assert 0 < colorfulness(dull).item() < colorfulness(vivid).item()
    # Uniform colour: only the mean term, 0.3 * |(rg, yb)| on the 0..255 scale.
    rg, yb = (0.9 - 0.3) * 255, (0.5 * (0.9 + 0.3) - 0.1) * 255
    assert colorfulness(vivid).item() == pytest.approx(0.3 * np.hypot(rg, yb), rel=1e-4)
