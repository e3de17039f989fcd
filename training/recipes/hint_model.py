"""The recipe of the shipped hint-capable model (1.1.0): v1's generator with hint inputs.

    python -m training.recipes.hint_model --base v1.safetensors --out model/weights/colorizer-default.safetensors

The generator grows from one input plane (L) to four (L, hint a, hint b, hint mask) with
the new planes' weights at zero (`expand_input_channels`), so without hints it computes
exactly what v1 computes. With hints, the service spreads each hint along the lightness
edges (model/propagation.py, Levin et al. 2004) with the network's colours as the prior.

`--hint-weights-from ARTIFACT` instead copies the hint planes' input weights of a
hint-trained artifact (e.g. a CPU fine-tune of v1 with `--hints`) into v1's, leaving
every other weight v1's: automatic colorization stays v1's exactly. docs/model-history.md has
the measurements that decided between the two (the fine-tune lost colourfulness without
hints, and its learned hint pathway gained less than the propagation alone).

v1 itself is in the git history: `git show 57d7357:model/weights/colorizer-default.safetensors > v1.safetensors`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from model.hints import HINT_INPUT_CHANNELS

DESCRIPTION = (
    "v1 (1.0.0, see training.v1 and MODEL_CARD.md) with three hint input planes (hint a, hint b, "
    "hint mask) whose weights are {hint_weights}; every other weight is v1's, so automatic "
    "colorization is v1's exactly. Hints are spread along lightness edges by model/propagation.py "
    "(Levin et al. 2004) with the network's colours as the prior. Recipe: training/recipes/hint_model.py."
)


def build(base: Path, out: Path, version: str, hint_weights_from: Path | None, onnx: bool) -> Path:
    from model.artifact import load_artifact, onnx_path_for, save_artifact
    from model.generator import expand_input_channels, hint_input_weights

    generator, metadata = load_artifact(base)
    if generator.config.in_channels != 1:
        raise SystemExit(f"{base}: expected a one-plane (L only) generator, got {generator.config.in_channels}")
    generator = expand_input_channels(generator, HINT_INPUT_CHANNELS)
    hint_weights = "zero"
    if hint_weights_from is not None:
        donor, _ = load_artifact(hint_weights_from)
        if donor.config.in_channels != HINT_INPUT_CHANNELS:
            raise SystemExit(f"{hint_weights_from}: not a hint-capable generator")
        state, donor_state = generator.state_dict(), donor.state_dict()
        for key, hints in hint_input_weights(generator.config):
            state[key][:, hints] = donor_state[key][:, hints]
        generator.load_state_dict(state)
        hint_weights = f"copied from {hint_weights_from.name}"
    training = {
        "description": DESCRIPTION.format(hint_weights=hint_weights),
        "hint_inputs": {"weights": hint_weights, "propagation": "model/propagation.py defaults"},
        "v1": {"version": metadata.version, **metadata.training},
    }
    shipped = dataclasses.replace(metadata, generator=generator.config, version=version, training=training, metrics={})
    save_artifact(out, generator, shipped)
    print(f"wrote {out} ({version}, in_channels {HINT_INPUT_CHANNELS}, hint weights {hint_weights})")
    if onnx:
        from training.onnx_export import export_onnx

        print(f"wrote {export_onnx(out, onnx_path_for(out))}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.recipes.hint_model", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--base", type=Path, required=True, help="the v1 artifact (one input plane)")
    parser.add_argument("--out", type=Path, required=True, help="the artifact to write (.safetensors)")
    parser.add_argument("--version", default="1.1.0", help="version to record (default: 1.1.0)")
    parser.add_argument("--hint-weights-from", type=Path, help="copy the hint planes' input weights from this artifact")
    parser.add_argument("--no-onnx", action="store_true", help="skip writing the ONNX file beside the artifact")
    args = parser.parse_args(argv)
    build(args.base, args.out, args.version, args.hint_weights_from, onnx=not args.no_onnx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
