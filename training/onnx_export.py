"""Artifact (.safetensors) -> ONNX file for the torch-free ONNX Runtime backend.

    from training.onnx_export import export_onnx
    export_onnx("model/weights/colorizer-default.safetensors")   # writes ...default.onnx beside it

The graph takes the generator's whole input, (batch, in_channels, height, width)
float32: normalised L in channel 0 and, for a hint-capable model (in_channels 4),
the hint planes after it. Batch, height and width are dynamic; height and width
must be multiples of 32 (what `render_shape` gives), so the padding branch of
`UNetGenerator.forward` is not in the graph. The output is normalised ab,
(batch, 2, height, width).

The file carries, in its metadata_props:

    colorizer                the artifact's metadata document, unchanged
    colorizer.source_sha256  SHA-256 of the artifact file it was exported from
    colorizer.source_name    that file's name
    colorizer.input          the input contract, in words

The artifact stays the one source: the ONNX file is derived from it by this
function (`colorizer export --artifact PATH`), and a loader can tell a stale ONNX
file from the hash. Weights are stored in float32 by default. The export folds each
batch norm into its convolution, and rounding those folded weights to float16
(`half_precision=True`: half the size, a Cast to float32 in front of every weight)
moved 2.0.0's EfficientNet output by up to 7 of 255 levels on small synthetic photos
(its depthwise convolutions' folded weights are large); in float32 it stays within
1 level of the torch backend at the same speed. Inference runs in float32 either way.

Needs torch, onnx and onnxscript (the `train` extra).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import METADATA_KEY, file_sha256, load_artifact, onnx_path_for
from model.onnx_backend import INPUT_NAME, SOURCE_NAME_KEY, SOURCE_SHA256_KEY
from model.preprocessing import RENDER_MULTIPLE

log = logging.getLogger(__name__)

OUTPUT_NAME = "ab"
INPUT_CONTRACT_KEY = f"{METADATA_KEY}.input"
# Largest side, in multiples of 32, the exported graph accepts: the longest render
# side (MAX_RENDER_ASPECT x MAX_RENDER_SIZE = 8192 px) with room to spare.
_MAX_SIDE_BLOCKS = 512
_MAX_BATCH = 1024
# How far ONNX Runtime may be from torch on export, judged where it reaches the picture: in
# CIELAB a*/b* units (the network's normalised output times the model's ab scale, 110).
# A just-noticeable colour difference is about 2.3. Float16 weights (the default) are
# rounded, and so are the convolutions the exporter's optimizer folds BatchNorm into, so a
# freshly trained model can move by a few tenths (1.4e-3 normalised, 0.15 a*b*, was
# refused by a normalised 1e-3 bound); float32 weights must agree to float rounding.
EXPORT_TOLERANCE_AB = {"float16": 1.0, "float32": 0.05}


def _require_export_packages() -> None:
    missing = [name for name in ("torch", "onnx", "onnxscript") if _missing(name)]
    if missing:
        raise RuntimeError(
            f"exporting to ONNX needs {', '.join(missing)}: install the train extra (pip install '.[train]')"
        )


def _missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def export_onnx(
    artifact: str | Path, out: str | Path | None = None, half_precision: bool = False, verify: bool = True
) -> Path:
    """Export the artifact's generator to ONNX (default: beside the artifact, suffix .onnx)."""
    _require_export_packages()
    import onnx
    import torch

    artifact = Path(artifact)
    out = Path(out) if out else onnx_path_for(artifact)
    generator, metadata = load_artifact(artifact, device="cpu")
    channels = metadata.generator.in_channels
    # Batch 2: an example batch of 1 would let torch.export specialise the batch dimension.
    example = torch.zeros(2, channels, 8 * RENDER_MULTIPLE, 8 * RENDER_MULTIPLE)
    batch = torch.export.Dim("batch", min=1, max=_MAX_BATCH)
    height = torch.export.Dim("height_blocks", min=1, max=_MAX_SIDE_BLOCKS)
    width = torch.export.Dim("width_blocks", min=1, max=_MAX_SIDE_BLOCKS)
    shapes = ({0: batch, 2: RENDER_MULTIPLE * height, 3: RENDER_MULTIPLE * width},)
    with torch.inference_mode(False), torch.no_grad():
        program = torch.onnx.export(
            generator,
            (example,),
            dynamo=True,
            dynamic_shapes=shapes,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            optimize=True,
            verbose=False,
        )
    assert program is not None  # None only when exporting to a file name
    model = program.model_proto
    if half_precision:
        _store_weights_in_float16(model)
    model.doc_string = (
        f"{metadata.name} {metadata.version}: normalised L (+ hint planes) -> normalised ab, "
        f"derived from {artifact.name}"
    )
    _set_metadata(
        model,
        {
            METADATA_KEY: _artifact_metadata_json(artifact),
            SOURCE_SHA256_KEY: file_sha256(artifact),
            SOURCE_NAME_KEY: artifact.name,
            INPUT_CONTRACT_KEY: (
                f"float32 (batch, {channels}, height, width), height and width multiples of {RENDER_MULTIPLE}: "
                "channel 0 is normalised L, channels 1..3 (hint models) the hint a, hint b and mask planes"
            ),
        },
    )
    onnx.checker.check_model(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    onnx.save_model(model, str(temporary))
    if verify:
        _verify(temporary, generator, channels, metadata.lab.ab_scale, "float16" if half_precision else "float32")
    os.replace(temporary, out)
    log.info("wrote %s (%.1f MB) from %s", out, out.stat().st_size / 1e6, artifact)
    return out


def _artifact_metadata_json(artifact: Path) -> str:
    """The artifact's metadata document exactly as stored in its header."""
    from safetensors import safe_open

    with safe_open(str(artifact), framework="numpy") as handle:
        return (handle.metadata() or {})[METADATA_KEY]


def _set_metadata(model: Any, values: dict[str, str]) -> None:
    kept = [entry for entry in model.metadata_props if entry.key not in values]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    for key, value in values.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value


def _store_weights_in_float16(model: Any) -> None:
    """Every float32 weight becomes a float16 initializer followed by a Cast back to float32.

    ONNX Runtime folds the Casts when it loads the file, so inference stays float32.
    """
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    casts = []
    for initializer in list(graph.initializer):
        if initializer.data_type != onnx.TensorProto.FLOAT:
            continue
        values = numpy_helper.to_array(initializer)
        half_name = f"{initializer.name}__float16"
        half = numpy_helper.from_array(values.astype(np.float16), half_name)
        initializer.CopyFrom(half)
        casts.append(
            helper.make_node(
                "Cast",
                [half_name],
                [half_name.removesuffix("__float16")],
                to=onnx.TensorProto.FLOAT,
                name=f"{half_name}__cast",
            )
        )
    # Casts first keeps the node list topologically sorted.
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)


class ExportMismatch(RuntimeError):
    """The exported graph does not compute what the torch generator computes."""


def check_agreement(ours: np.ndarray, reference: np.ndarray, ab_scale: float, weights: str) -> float:
    """The largest a*/b* difference between two normalised ab outputs; ExportMismatch over the tolerance."""
    difference = float(np.abs(ours.astype(np.float64) - reference.astype(np.float64)).max()) * ab_scale
    tolerance = EXPORT_TOLERANCE_AB[weights]
    if not difference <= tolerance:  # NaN too
        raise ExportMismatch(
            f"ONNX Runtime differs from torch by {difference:.3f} in a*/b* (tolerance {tolerance} with {weights} "
            "weights; 2.3 is a just-noticeable difference)"
        )
    return difference


def _verify(path: Path, generator: Any, channels: int, ab_scale: float, weights: str) -> None:
    """Run the file in ONNX Runtime beside torch on an odd-shaped batch; raise if they differ visibly."""
    import onnxruntime
    import torch

    rng = np.random.default_rng(0)
    inputs = rng.uniform(-1, 1, (2, channels, 3 * RENDER_MULTIPLE, 2 * RENDER_MULTIPLE)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ours = session.run([OUTPUT_NAME], {INPUT_NAME: inputs})[0]
    with torch.inference_mode():
        reference = generator(torch.from_numpy(inputs)).numpy()
    try:
        difference = check_agreement(ours, reference, ab_scale, weights)
    except ExportMismatch as error:
        raise ExportMismatch(f"{path}: {error}") from None
    log.info("verified %s: max difference to torch %.4f a*/b* (%s weights)", path.name, difference, weights)
