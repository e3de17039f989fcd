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
        )
