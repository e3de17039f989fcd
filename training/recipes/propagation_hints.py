"""Hints by propagation alone: zero a hint-trained generator's hint-plane input weights.

    python -m training.recipes.propagation_hints soup-mix.safetensors --out colorizer.safetensors --version 2.0.0

The network then ignores the hint planes, so its automatic colours are unchanged, and
hints reach the output only through `model/propagation.py` (Levin et al. 2004), which
spreads each one along the lightness edges with the network's colours as the prior. That
is how 1.1.0 takes hints. Measured on the 2.0 candidates (docs/model-history.md, "A fourth step"):
the learned pathway of an adversarial soup interpolated with the L1 model reaches 24.86 dB
with 10 hints on bench/, propagation alone 25.31 dB.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from model.hints import HINT_INPUT_CHANNELS


def build(source: Path, out: Path, version: str | None, onnx: bool) -> Path:
    import torch

    from model.artifact import load_artifact, save_artifact
    from model.generator import hint_input_weights

    generator, metadata = load_artifact(source)
    if generator.config.in_channels != HINT_INPUT_CHANNELS:
        raise SystemExit(f"{source}: not a hint-capable generator (in_channels {generator.config.in_channels})")
    parameters = dict(generator.named_parameters())
    with torch.no_grad():
        for key, hints in hint_input_weights(generator.config):
            parameters[key][:, hints] = 0.0
    training = {**metadata.training, "hint_inputs": {"weights": "zero", "propagation": "model/propagation.py defaults"}}
    shipped = dataclasses.replace(metadata, version=version or metadata.version, training=training, metrics={})
    save_artifact(out, generator, shipped)
    print(f"wrote {out} ({shipped.version}, hint weights zero: hints by propagation alone)")
    if onnx:
        from training.onnx_export import export_onnx

        print(f"wrote {export_onnx(out)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.recipes.propagation_hints",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("artifact", type=Path, help="a hint-capable artifact (.safetensors)")
    parser.add_argument("--out", type=Path, required=True, help="the artifact to write (.safetensors)")
    parser.add_argument("--version", help="version to record (default: the source's)")
    parser.add_argument("--no-onnx", action="store_true", help="skip writing the ONNX file beside the artifact")
    args = parser.parse_args(argv)
    build(args.artifact, args.out, args.version, onnx=not args.no_onnx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
