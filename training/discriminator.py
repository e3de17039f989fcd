"""The pix2pix 70x70 PatchGAN discriminator on Lab images (L + ab, 3 channels)."""

from __future__ import annotations

import torch
from torch import nn


class PatchDiscriminator(nn.Module):
    """4x4 convolutions with 64-128-256-512 filters and strides 2-2-2-1, then a 4x4
    stride-1 conv to one logit per patch. Each logit sees a 70x70 input patch; a
    256x256 input gives a 30x30 logit map. No sigmoid: use BCE-with-logits."""

    def __init__(self, in_channels: int = 3, base_channels: int = 64) -> None:
        super().__init__()
        widths = (base_channels, base_channels * 2, base_channels * 4, base_channels * 8)
        strides = (2, 2, 2, 1)
        layers: list[nn.Module] = []
        previous = in_channels
        for index, (width, stride) in enumerate(zip(widths, strides, strict=False)):
            # pix2pix: no normalisation on the first layer; bias is redundant before BatchNorm.
            use_norm = index > 0
            layers.append(nn.Conv2d(previous, width, 4, stride=stride, padding=1, bias=not use_norm))
            if use_norm:
                layers.append(nn.BatchNorm2d(width))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            previous = width
        layers.append(nn.Conv2d(previous, 1, 4, stride=1, padding=1))
        self.layers = nn.Sequential(*layers)

    def forward(self, lab: torch.Tensor) -> torch.Tensor:
        """lab: normalised (B, 3, H, W) -> logits (B, 1, H', W')."""
        return self.layers(lab)
