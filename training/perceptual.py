"""A perceptual term: L1 between ImageNet-encoder features of the prediction and of the truth.

DeOldify's NoGAN pretrains its generator with such a feature loss before a short
adversarial phase: features that tell a red coat from a brown one reward colour that
plain L1 averages away. The features here are a frozen copy of the generator's own
kind of encoder, an EfficientNet-Lite with its ImageNet weights (RGB in), at 1/4, 1/8
and 1/16 of the input: the stages that see textures and object parts.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from model.encoders import EfficientNetLiteEncoder, imagenet_state_dict

# Feature maps compared: indices into the encoder's five (1/2 ... 1/32).
_STAGES = (1, 2, 3)


class PerceptualLoss(nn.Module):
    """Mean L1 distance of frozen ImageNet features, each stage normalised by its size."""

    def __init__(self, encoder: str = "efficientnet_lite0", state_dict: dict[str, torch.Tensor] | None = None) -> None:
        super().__init__()
        self.features = EfficientNetLiteEncoder(encoder, in_channels=3)
        self.features.load_pretrained(state_dict if state_dict is not None else imagenet_state_dict(encoder))
        # Eval mode for good (the trainer never calls train() on it): ImageNet's BatchNorm statistics.
        self.features.eval().requires_grad_(False)

    @staticmethod
    def _scaled(rgb: torch.Tensor) -> torch.Tensor:
        # The TF-ported weights expect (x - 127) / 128 on 0..255 RGB.
        return (rgb * 255.0 - 127.0) / 128.0

    def forward(self, predicted_rgb: torch.Tensor, true_rgb: torch.Tensor) -> torch.Tensor:
        """predicted_rgb, true_rgb: sRGB in [0, 1], (B, 3, H, W); the prediction keeps its gradient."""
        predicted = self.features(self._scaled(predicted_rgb))
        with torch.no_grad():
            truth = self.features(self._scaled(true_rgb))
        return torch.stack([F.l1_loss(predicted[i], truth[i]) for i in _STAGES]).mean()
