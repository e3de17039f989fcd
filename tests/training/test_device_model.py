"""The web app's device model file (training.device_model): float16 weights, float32 arithmetic."""

from __future__ import annotations

import hashlib

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from training.device_model import (
    DEFAULT_ONNX_PATH,
    MIN_CONVERTED_VALUES,
    SOURCE_SHA256_KEY,
    device_path,
    write_device_model,
)


def _conv_model(path) -> np.ndarray:
    """A one-convolution ONNX file with metadata, as the export writes; returns its weights."""
    rng = np.random.default_rng(0)
    weights = rng.normal(0, 0.2, size=(16, 16, 3, 3)).astype(np.float32)
    assert weights.size >= MIN_CONVERTED_VALUES
    bias = rng.normal(0, 0.1, size=16).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["input", "weight", "bias"], ["output"], pads=[1, 1, 1, 1])],
        "tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 16, 8, 8])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 16, 8, 8])],
        [numpy_helper.from_array(weights, "weight"), numpy_helper.from_array(bias, "bias")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    helper.set_model_props(model, {"colorizer": '{"name": "tiny"}'})
    onnx.save(model, str(path))
    return weights


def _run(path, inputs: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": inputs})[0]


def test_float16_weights_halve_the_file_and_keep_the_output(tmp_path) -> None:
    source = tmp_path / "model.onnx"
    _conv_model(source)
    written = write_device_model(source)
    assert written == tmp_path / "device" / "model.onnx"

    model = onnx.load(str(written))
    stored = {initializer.name: initializer.data_type for initializer in model.graph.initializer}
    assert stored == {"bias": TensorProto.FLOAT, "weight.float16": TensorProto.FLOAT16}
    assert model.graph.node[0].op_type == "Cast"
    properties = {entry.key: entry.value for entry in model.metadata_props}
    assert properties["colorizer"] == '{"name": "tiny"}'
    assert properties[SOURCE_SHA256_KEY] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert written.stat().st_size < 0.6 * source.stat().st_size

    inputs = np.random.default_rng(1).normal(size=(1, 16, 8, 8)).astype(np.float32)
    expected, actual = _run(source, inputs), _run(written, inputs)
    assert actual.dtype == np.float32
    # float16 weights: about 3 significant digits, far below one 8-bit level of the result.
    np.testing.assert_allclose(actual, expected, atol=5e-3)
    assert not np.array_equal(actual, expected)


@pytest.mark.skipif(not DEFAULT_ONNX_PATH.is_file(), reason="no shipped ONNX file")
def test_the_committed_device_file_was_made_from_the_shipped_model() -> None:
    device = onnx.load(str(device_path(DEFAULT_ONNX_PATH)), load_external_data=False)
    properties = {entry.key: entry.value for entry in device.metadata_props}
    assert properties[SOURCE_SHA256_KEY] == hashlib.sha256(DEFAULT_ONNX_PATH.read_bytes()).hexdigest(), (
        "model/weights/device/ is stale: run python -m training.device_model"
    )
