"""Smaller model files for on-device colorization (issue 29), measured against the float32 one on bench/.

The browser downloads the model once (the web app's "Colorize on this device"); a
smaller file is a shorter first visit. Two weight-only variants of the shipped ONNX
file, both computing in float32 once loaded (ONNX Runtime folds the conversions at
session start, so speed is unchanged):

- float16: every large float32 initializer stored as float16, followed by a Cast
  (`training.device_model`, what the web build ships when it passes);
- int8 QDQ: every convolution weight stored as int8 with one scale per output channel
  (symmetric), followed by a DequantizeLinear.

Each variant colorizes bench/ through the product's own pipeline (`training.evaluate`,
ONNX Runtime backend), automatically and with 10 ground-truth hints; the bar for
shipping one instead of float32 is a PSNR within 0.05 dB and a colourfulness within
1 point of the float32 file's, on both.

    .venv/bin/python benchmarks/bench_device_model.py --data-dir ../shared/data/colorize/bench
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import numpy as np
import onnx
from onnx import helper, numpy_helper

from training.device_model import MIN_CONVERTED_VALUES, float16_weights, replace_initializers
from training.evaluate import evaluate

DEFAULT_ONNX = REPO_ROOT / "model" / "weights" / "colorizer-default.onnx"
PSNR_BAR_DB = 0.05
COLOURFULNESS_BAR = 1.0


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", type=Path, default=DEFAULT_ONNX, help=f"the float32 model (default: {DEFAULT_ONNX})")
    parser.add_argument("--data-dir", type=Path, required=True, help="bench photos (colour: the ground truth)")
    parser.add_argument("--out-dir", type=Path, default=REPO_ROOT / ".bench" / "device-model", help="variants go here")
    parser.add_argument("--limit", type=int, default=None, help="only the first N photos (default: all)")
    parser.add_argument("--hints", type=int, default=10, help="ground-truth hints for the steered run (default: 10)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    return parser


def int8_conv_weights(model: onnx.ModelProto) -> onnx.ModelProto:
    conv_weights = {node.input[1] for node in model.graph.node if node.op_type == "Conv"}

    def convert(initializer):
        values = numpy_helper.to_array(initializer)
        if initializer.name not in conv_weights or values.ndim != 4 or values.size < MIN_CONVERTED_VALUES:
            return None
        scale = np.abs(values).reshape(values.shape[0], -1).max(axis=1) / 127.0
        scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
        quantized = np.clip(np.round(values / scale.reshape(-1, 1, 1, 1)), -127, 127).astype(np.int8)
        stored = numpy_helper.from_array(quantized, f"{initializer.name}.int8")
        scales = numpy_helper.from_array(scale, f"{initializer.name}.scale")
        zero = numpy_helper.from_array(np.zeros(values.shape[0], dtype=np.int8), f"{initializer.name}.zero")
        dequantize = helper.make_node(
            "DequantizeLinear", [stored.name, scales.name, zero.name], [initializer.name], axis=0
        )
        return [stored, scales, zero], dequantize

    return replace_initializers(model, convert)


VARIANTS = {"float16": float16_weights, "int8-qdq": int8_conv_weights}


def _scores(path: Path, args: argparse.Namespace) -> dict:
    result = evaluate(path, args.data_dir, limit=args.limit, progress=False, hints=args.hints, backend="onnx")
    return {
        "bytes": path.stat().st_size,
        "automatic": result["model_metrics"],
        "hinted": result["hints"]["metrics"] if args.hints else None,
        "raw": result,
    }


def main() -> None:
    args = get_args_parser().parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    files = {"float32": args.onnx}
    for name, make in VARIANTS.items():
        files[name] = args.out_dir / f"colorizer-{name}.onnx"
        onnx.save(make(onnx.load(str(args.onnx))), str(files[name]))
    results = {name: _scores(path, args) for name, path in files.items()}
    reference = results["float32"]
    print(f"{len(list(args.data_dir.iterdir()))} files in {args.data_dir}; hints: {args.hints}")
    print(f"{'variant':<10}{'MB':>7}{'PSNR':>9}{'colourf.':>10}{'PSNR hints':>12}{'colourf. h.':>13}  within the bar")
    for name, result in results.items():
        rows = [result["automatic"], result["hinted"] or result["automatic"]]
        passes = all(
            abs(row["psnr"] - base["psnr"]) <= PSNR_BAR_DB
            and abs(row["colorfulness"] - base["colorfulness"]) <= COLOURFULNESS_BAR
            for row, base in zip(
                rows, [reference["automatic"], reference["hinted"] or reference["automatic"]], strict=True
            )
        )
        print(
            f"{name:<10}{result['bytes'] / 1e6:>7.1f}{rows[0]['psnr']:>9.3f}{rows[0]['colorfulness']:>10.2f}"
            f"{rows[1]['psnr']:>12.3f}{rows[1]['colorfulness']:>13.2f}  {'yes' if passes else 'no'}"
        )
        result["within_bar"] = passes
    if args.json:
        summary = {name: {k: v for k, v in result.items() if k != "raw"} for name, result in results.items()}
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
