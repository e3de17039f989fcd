"""The model file the web app downloads to colorize on the user's device (issue 29).

The shipped ONNX file with its large float32 weights stored as float16, each followed
by a Cast back to float32: half the download (11.9 MB for 2.0.0's 22.2 MB), the same
float32 arithmetic once ONNX Runtime has folded the casts at session start.
benchmarks/bench_device_model.py measured it against the float32 file on bench/
(PSNR -0.001 dB, colourfulness +0.01, with and without hints: inside the bar of 0.05 dB
and 1 point), and the browser's results stay within 1/255 of the REST service's
(tests/e2e/specs/devicePixels.spec.ts).

The file sits in a `device/` folder beside the float32 one, under the same name (out of
the Python package's data, which takes `weights/*.onnx`), and records the SHA-256 of
the file it was made from; the web build (frontend/vite-plugins/deviceModel.ts)
uses it only while that still matches, and the float32 file otherwise. After a new
export:

    .venv/bin/python -m training.device_model            # model/weights/device/colorizer-default.onnx
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from model.artifact import DEFAULT_ARTIFACT_PATH, onnx_path_for

# Metadata key of the float32 file's SHA-256 (read by frontend/vite-plugins/deviceModel.ts).
SOURCE_SHA256_KEY = "colorizer.device_source_sha256"
DEFAULT_ONNX_PATH = onnx_path_for(DEFAULT_ARTIFACT_PATH)
# Initializers below this many values (biases, shapes, scalars) stay float32: no gain.
MIN_CONVERTED_VALUES = 1024

Replacement = tuple[list[onnx.TensorProto], onnx.NodeProto]


def device_path(onnx_path: Path) -> Path:
    """Where the device file of `onnx_path` goes: `device/<its name>` beside it."""
    return onnx_path.parent / "device" / onnx_path.name


def replace_initializers(
    model: onnx.ModelProto, convert: Callable[[onnx.TensorProto], Replacement | None]
) -> onnx.ModelProto:
    """Swap initializers for stored forms plus a node that rebuilds each under its old name.

    `convert(initializer)` returns (new initializers, node producing the old name), or None
    to keep an initializer. The rebuilding nodes go first, so the graph stays sorted.
    """
    graph = model.graph
    kept: list[onnx.TensorProto] = []
    added: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []
    for initializer in graph.initializer:
        replaced = convert(initializer)
        if replaced is None:
            kept.append(initializer)
        else:
            added.extend(replaced[0])
            nodes.append(replaced[1])
    del graph.initializer[:]
    graph.initializer.extend(kept + added)
    original = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + original)
    return model


def float16_weights(model: onnx.ModelProto) -> onnx.ModelProto:
    """Large float32 initializers stored as float16, each cast back to float32 (in place)."""

    def convert(initializer: onnx.TensorProto) -> Replacement | None:
        if initializer.data_type != TensorProto.FLOAT:
            return None
        values = numpy_helper.to_array(initializer)
        if values.size < MIN_CONVERTED_VALUES:
            return None
        stored = numpy_helper.from_array(values.astype(np.float16), f"{initializer.name}.float16")
        cast = helper.make_node("Cast", [stored.name], [initializer.name], to=TensorProto.FLOAT)
        return [stored], cast

    return replace_initializers(model, convert)


def write_device_model(onnx_path: Path, out_path: Path | None = None) -> Path:
    """Write the float16-weight file of `onnx_path` (default: `device_path(onnx_path)`)."""
    out_path = out_path or device_path(onnx_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    data = onnx_path.read_bytes()
    model = float16_weights(onnx.load_from_string(data))
    properties = {entry.key: entry.value for entry in model.metadata_props}
    properties[SOURCE_SHA256_KEY] = hashlib.sha256(data).hexdigest()
    onnx.helper.set_model_props(model, properties)
    onnx.save(model, str(out_path))
    return out_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--onnx", type=Path, default=DEFAULT_ONNX_PATH, help=f"the float32 model (default: {DEFAULT_ONNX_PATH})"
    )
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: device/<its name> beside it)")
    args = parser.parse_args(argv)
    written = write_device_model(args.onnx, args.out)
    print(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB, from {args.onnx.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
