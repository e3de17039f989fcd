"""The two backends (ONNX Runtime and torch): export, agreement on photos, selection, the torch-free path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from safetensors import safe_open

from model.artifact import (
    DEFAULT_ARTIFACT_PATH,
    ArtifactError,
    file_sha256,
    onnx_path_for,
    read_metadata,
    weights_sha256,
)
from model.backends import BackendUnavailable, choose_backend, load_backend
from model.colorizer import Colorizer
from model.generator import GeneratorConfig
from model.hints import Hint
from tests.conftest import make_photo, write_tiny_artifact
from training.onnx_export import INPUT_NAME, SOURCE_NAME_KEY, SOURCE_SHA256_KEY, export_onnx

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_ONNX = onnx_path_for(DEFAULT_ARTIFACT_PATH)
_BN_STATISTICS = ("running_mean", "running_var", "num_batches_tracked")
REEXPORT = f"colorizer export --artifact {DEFAULT_ARTIFACT_PATH.relative_to(REPO_ROOT)}"


TINY_HINT_GENERATOR = GeneratorConfig(in_channels=4, decoder_channels=(16, 16, 16, 8, 8))


@pytest.fixture(scope="module")
def tiny_pair(tmp_path_factory) -> Path:
    """A tiny hint-capable artifact (in_channels 4) with its ONNX file beside it, from the real
    exporter (one export: it takes a while; test_export.py in tests/training exports a 1-channel model)."""
    artifact = write_tiny_artifact(tmp_path_factory.mktemp("pair") / "tiny.safetensors", config=TINY_HINT_GENERATOR)
    export_onnx(artifact)
    return artifact


def _max_level_difference(first, second) -> int:
    return int(np.abs(np.asarray(first, dtype=np.int16) - np.asarray(second, dtype=np.int16)).max())


def test_export_carries_metadata_and_the_source_hash(tiny_pair):
    model = onnx.load(str(onnx_path_for(tiny_pair)))
    properties = {entry.key: entry.value for entry in model.metadata_props}
    assert json.loads(properties["colorizer"]) == read_metadata(tiny_pair).to_dict()
    assert properties[SOURCE_SHA256_KEY] == file_sha256(tiny_pair)
    assert properties[SOURCE_NAME_KEY] == "tiny.safetensors"
    # Batch, height and width are dynamic; the channels are the generator's.
    (graph_input,) = model.graph.input
    dims = graph_input.type.tensor_type.shape.dim
    assert graph_input.name == INPUT_NAME
    assert [bool(dim.dim_param) for dim in dims] == [True, False, True, True]
    assert dims[1].dim_value == 4  # L and the three hint planes


def test_an_onnx_file_from_an_older_artifact_reports_the_weights_digest_when_the_artifact_is_there(tiny_pair, tmp_path):
    """Exports made before `weights_sha256` existed lack it: taken from the artifact beside, else None."""
    from model.onnx_backend import OnnxBackend

    model = onnx.load(str(onnx_path_for(tiny_pair)))
    for entry in model.metadata_props:
        if entry.key == "colorizer":
            values = json.loads(entry.value)
            del values["weights_sha256"]
            entry.value = json.dumps(values)
    beside = tmp_path / "beside"
    beside.mkdir()
    shutil.copy(tiny_pair, beside / tiny_pair.name)
    onnx.save(model, str(beside / "tiny.onnx"))
    assert OnnxBackend(beside / "tiny.onnx").metadata.weights_sha256 == weights_sha256(tiny_pair)
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(beside / "tiny.onnx", alone / "tiny.onnx")
    assert OnnxBackend(alone / "tiny.onnx").metadata.weights_sha256 is None


def test_onnx_runs_any_batch_and_multiple_of_32_shape(tiny_pair):
    backend = load_backend(tiny_pair, backend="onnx")
    inputs = np.random.default_rng(0).uniform(-1, 1, (3, 4, 64, 96)).astype(np.float32)
    reference = load_backend(tiny_pair, backend="torch", device="cpu").run(inputs)
    ours = backend.run(inputs)
    assert ours.shape == (3, 2, 64, 96)
    assert np.abs(ours - reference).max() < 1e-3
    with pytest.raises(ValueError, match="multiples of 32"):
        backend.run(inputs[:, :, :50])
    with pytest.raises(ValueError, match="4, height, width"):
        backend.run(inputs[:, :1])


@pytest.mark.parametrize("size", [(83, 61), (200, 90), (32, 32)])
def test_both_backends_give_the_same_picture_with_and_without_hints(tiny_pair, size):
    onnx_colorizer = Colorizer.load(tiny_pair, backend="onnx")
    torch_colorizer = Colorizer.load(tiny_pair, backend="torch", device="cpu")
    assert onnx_colorizer.supports_hints and torch_colorizer.supports_hints
    photo = make_photo(size[0], size[1], seed=sum(size))
    pins = [Hint(0.2, 0.3, (220, 40, 40)), Hint(0.7, 0.8, (40, 90, 220))]
    for image, hints, vibrance in ((photo, (), 1.0), (photo.convert("L"), (), 1.0), (photo.convert("L"), pins, 1.4)):
        onnx_result = onnx_colorizer.colorize(image, hints=hints, vibrance=vibrance)
        torch_result = torch_colorizer.colorize(image, hints=hints, vibrance=vibrance)
        assert onnx_result.size == torch_result.size == image.size
        assert _max_level_difference(onnx_result, torch_result) <= 1


def test_both_backends_agree_on_a_two_headed_model_with_a_chroma_gain(tmp_path):
    """The 3.0 shape: a classification head, decoded and mixed, and a chroma gain, all inside the ONNX graph."""
    from model.colour_classes import colour_class_count

    config = GeneratorConfig(
        in_channels=4, decoder_channels=(16, 16, 16, 8, 8), colour_classes=colour_class_count(), chroma_gain=1.3
    )
    artifact = write_tiny_artifact(tmp_path / "two-heads.safetensors", seed=6, config=config)
    export_onnx(artifact)
    onnx_colorizer = Colorizer.load(artifact, backend="onnx")
    torch_colorizer = Colorizer.load(artifact, backend="torch", device="cpu")
    photo = make_photo(90, 70, seed=9).convert("L")
    for hints in ((), [Hint(0.4, 0.5, (30, 160, 60))]):
        onnx_result = onnx_colorizer.colorize(photo, hints=hints)
        assert _max_level_difference(onnx_result, torch_colorizer.colorize(photo, hints=hints)) <= 1


def test_the_shipped_onnx_file_is_derived_from_the_shipped_artifact():
    """One source: the committed .onnx was exported from exactly the committed .safetensors."""
    assert SHIPPED_ONNX.is_file(), f"missing {SHIPPED_ONNX}: run `{REEXPORT}`"
    model = onnx.load(str(SHIPPED_ONNX), load_external_data=False)
    properties = {entry.key: entry.value for entry in model.metadata_props}
    assert properties[SOURCE_SHA256_KEY] == file_sha256(DEFAULT_ARTIFACT_PATH), (
        f"{SHIPPED_ONNX.name} is stale: the artifact changed since the export. Run `{REEXPORT}`"
    )
    # The metadata as the artifact stores it (read_metadata adds a weights digest the file may lack).
    with safe_open(str(DEFAULT_ARTIFACT_PATH), framework="numpy") as handle:
        stored = json.loads(handle.metadata()["colorizer"])
    assert json.loads(properties["colorizer"]) == stored
    # The weights are the artifact's values (batch norms may be folded into the
    # convolutions): every stored tensor is float32 and the parameter count matches.
    with safe_open(str(DEFAULT_ARTIFACT_PATH), framework="numpy") as handle:
        keys = handle.keys()  # a safetensors handle is not iterable itself
        shapes = [handle.get_slice(key).get_shape() for key in keys if not key.endswith(_BN_STATISTICS)]
    artifact_weights = sum(int(np.prod(shape)) for shape in shapes if shape)
    onnx_weights = [tensor for tensor in model.graph.initializer if tensor.dims and np.prod(tensor.dims) > 1]
    assert {tensor.data_type for tensor in onnx_weights} == {
        onnx.TensorProto.FLOAT
    }  # float32: see training/onnx_export.py
    # Folding a batch norm into its convolution removes its scale and shift (2 x channels).
    assert sum(int(np.prod(tensor.dims)) for tensor in onnx_weights) <= artifact_weights
    assert sum(int(np.prod(tensor.dims)) for tensor in onnx_weights) > 0.99 * artifact_weights


def test_the_shipped_model_gives_the_same_picture_on_both_backends():
    """Within 1/255 on photo-like images (the benchmark checks real photos from the val set)."""
    onnx_colorizer = Colorizer.load(backend="onnx", threads=1)
    torch_colorizer = Colorizer.load(backend="torch", device="cpu", threads=1)
    assert (onnx_colorizer.name, onnx_colorizer.version) == (torch_colorizer.name, torch_colorizer.version)
    for seed, size in ((1, (160, 120)), (2, (97, 211))):
        photo = make_photo(*size, seed=seed).convert("L")
        assert _max_level_difference(onnx_colorizer.colorize(photo), torch_colorizer.colorize(photo)) <= 1


def test_auto_picks_onnx_on_the_cpu_when_its_file_is_there(tiny_pair, tiny_artifact):
    assert choose_backend(tiny_pair, "auto", "cpu") == "onnx"
    assert choose_backend(onnx_path_for(tiny_pair), "auto", "cpu") == "onnx"
    assert choose_backend(tiny_artifact, "auto", "cpu") == "torch"  # no .onnx beside it
    assert choose_backend(tiny_pair, "auto", "cuda") == "torch"
    assert choose_backend(tiny_pair, "torch", "cpu") == "torch"


def test_clear_errors_for_a_backend_that_cannot_run(tiny_artifact, tmp_path):
    with pytest.raises(BackendUnavailable, match="colorizer export --artifact"):
        load_backend(tiny_artifact, backend="onnx")
    with pytest.raises(BackendUnavailable, match="runs on the CPU"):
        choose_backend(tiny_artifact, "onnx", "cuda")
    with pytest.raises(ValueError, match="auto, onnx, torch"):
        choose_backend(tiny_artifact, "tensorflow", "cpu")
    with pytest.raises(ArtifactError, match="not found"):
        load_backend(tmp_path / "missing.safetensors")


def test_a_stale_onnx_file_is_refused(tiny_pair, tmp_path):
    artifact = Path(shutil.copy(tiny_pair, tmp_path / "tiny.safetensors"))
    shutil.copy(onnx_path_for(tiny_pair), tmp_path / "tiny.onnx")
    load_backend(artifact, backend="onnx")  # in step: loads
    write_tiny_artifact(artifact, seed=7, config=TINY_HINT_GENERATOR)  # the artifact changes, the ONNX file does not
    with pytest.raises(ArtifactError, match="re-export"):
        load_backend(artifact, backend="onnx")


_TORCH_FREE_SCRIPT = """
import io, sys
from model.colorizer import Colorizer
from model.hints import Hint
from PIL import Image
colorizer = Colorizer.load(sys.argv[1], backend="auto", device="auto", threads=1)
result = colorizer.colorize(Image.new("L", (70, 50), 128), hints=[Hint(0.5, 0.5, (200, 30, 30))], vibrance=1.2)
assert result.size == (70, 50), result.size
from inference_service import create_app
app = create_app({"ARTIFACT": sys.argv[1], "MODEL_THREADS": 1, "TESTING": True})
assert app.extensions["colorizer"].host.wait(60)
buffer = io.BytesIO(); Image.new("L", (40, 30), 90).save(buffer, format="PNG")
client = app.test_client()
response = client.post("/v1/colorize", data=buffer.getvalue(), content_type="image/png")
assert response.status_code == 200, response.get_data(as_text=True)
health = client.get("/v1/health").get_json()
print(colorizer.backend_name, health["backend"], health["device"])
print(sorted(name for name in sys.modules if name == "torch" or name.startswith("torch.")))
"""


def test_the_onnx_path_imports_no_torch(tiny_pair):
    """Colorizer and service on the ONNX backend, in a fresh interpreter that has torch installed."""
    result = subprocess.run(
        [sys.executable, "-c", _TORCH_FREE_SCRIPT, str(tiny_pair)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    backends, torch_modules = result.stdout.strip().splitlines()[-2:]
    assert backends == "onnx onnx cpu"
    assert torch_modules == "[]"
    assert torch.__version__  # torch is installed here: its absence above is the code's doing
