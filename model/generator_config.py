"""The generator's config: enough to rebuild the network, stored in checkpoints and artifacts.

Torch-free, so an artifact's or an ONNX file's metadata can be read where torch
is not installed; `model.generator` builds the network from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything needed to rebuild the generator; stored in checkpoints and artifacts."""

    in_channels: int = 1
    out_channels: int = 2
    # The encoder (`model.encoders.ENCODERS`); artifacts from before the choice existed are resnet18.
    encoder: str = "resnet18"
    # Decoder widths from the deepest skip (1/16 resolution) up to full resolution.
    decoder_channels: tuple[int, ...] = field(default=(256, 128, 64, 32, 16))
    # A classification head over the in-gamut a*b* bins (`model.colour_classes`) at 1/4 of the
    # render size, beside the regression head; 0: the regression head alone (models before 3.0).
    colour_classes: int = 0
    # How its distribution becomes a colour: the annealed mean at this temperature (lower: nearer
    # the mode, more colourful), and the share of that colour in the output (the rest is the
    # regression head's). Chosen after training, on held-out photos, like any inference setting.
    class_temperature: float = 0.38
    class_mix: float = 0.5
    # The output's chroma times this (clipped to the ab range), for any model: a calibration
    # chosen after training on held-out photos like T and the mix (a model trained on a pixel
    # loss hedges towards grey, so its colour is often right in hue and short in chroma).
    # 1: the network's colour as trained (models before 3.0). It comes before any hint's
    # propagation, so a pinned colour stays the pin's.
    chroma_gain: float = 1.0

    def to_dict(self) -> dict:
        values = asdict(self)
        values["decoder_channels"] = list(self.decoder_channels)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> GeneratorConfig:
        return cls(
            in_channels=int(values["in_channels"]),
            out_channels=int(values["out_channels"]),
            encoder=str(values.get("encoder", "resnet18")),
            decoder_channels=tuple(int(c) for c in values["decoder_channels"]),
            colour_classes=int(values.get("colour_classes", cls.colour_classes)),
            class_temperature=float(values.get("class_temperature", cls.class_temperature)),
            class_mix=float(values.get("class_mix", cls.class_mix)),
            chroma_gain=float(values.get("chroma_gain", cls.chroma_gain)),
        )
