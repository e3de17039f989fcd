"""Image-quality metrics in torch (batched, any device) matching scikit-image.

`psnr` and `ssim` reproduce `skimage.metrics.peak_signal_noise_ratio` and
`structural_similarity` (default 7x7 uniform window, sample covariance,
channel-averaged) so training logs and `evaluate` report the same numbers.
`colorfulness` is Hasler & Suesstrunk (2003) on the 0..255 scale.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def psnr(prediction: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Per-image PSNR in dB for (B, C, H, W) batches -> (B,)."""
    mse = (prediction.float() - target.float()).pow(2).flatten(1).mean(dim=1)
    return 10.0 * torch.log10(data_range**2 / mse.clamp(min=1e-12))


def ssim(prediction: torch.Tensor, target: torch.Tensor, data_range: float = 1.0, window: int = 7) -> torch.Tensor:
    """Per-image SSIM for (B, C, H, W) batches -> (B,), as skimage computes it with channel_axis."""
    x, y = prediction.double(), target.double()
    channels = x.shape[1]
    kernel = torch.ones(channels, 1, window, window, dtype=x.dtype, device=x.device) / window**2

    def local_mean(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, kernel, groups=channels)

    n = window**2
    covariance_norm = n / (n - 1)  # sample covariance, skimage's default
    mu_x, mu_y = local_mean(x), local_mean(y)
    var_x = covariance_norm * (local_mean(x * x) - mu_x * mu_x)
    var_y = covariance_norm * (local_mean(y * y) - mu_y * mu_y)
    cov_xy = covariance_norm * (local_mean(x * y) - mu_x * mu_y)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    numerator = (2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)
    denominator = (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    # A valid convolution already drops the (window-1)/2 border skimage crops away.
    return (numerator / denominator).flatten(1).mean(dim=1).float()


def colorfulness(rgb: torch.Tensor) -> torch.Tensor:
    """Hasler & Suesstrunk colourfulness of sRGB in [0, 1], (B, 3, H, W) -> (B,), 0..255 scale."""
    scaled = rgb.float() * 255.0
    red, green, blue = scaled.unbind(dim=1)
    rg = (red - green).flatten(1)
    yb = (0.5 * (red + green) - blue).flatten(1)
    spread = torch.sqrt(rg.var(dim=1, unbiased=False) + yb.var(dim=1, unbiased=False))
    mean = torch.sqrt(rg.mean(dim=1) ** 2 + yb.mean(dim=1) ** 2)
    return spread + 0.3 * mean
