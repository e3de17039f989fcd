import json
from typing import Any

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from model.artifact import (
    METADATA_KEY,
    ArtifactError,
    ArtifactMetadata,
    load_artifact,
    read_metadata,
    save_artifact,
    weights_sha256,
)
from model.generator import UNetGenerator
from tests.conftest import TINY_GENERATOR


def _metadata(**overrides: Any) -> ArtifactMetadata:
    values: dict[str, Any] = {"name": "unit", "version": "1.2.3", "generator": TINY_GENERATOR, "render_size": 96}
    values.update(overrides)
    return ArtifactMetadata(**values)


def test_round_trip_rebuilds_the_same_generator(tmp_path):
    torch.manual_seed(0)
    generator = UNetGenerator(TINY_GENERATOR).eval()
    path = save_artifact(
        tmp_path / "a.safetensors", generator, _metadata(metrics={"val": {"psnr": 23.5}}), half_precision=False
    )
    loaded, metadata = load_artifact(path)
    assert metadata.name == "unit" and metadata.version == "1.2.3" and metadata.render_size == 96
    assert metadata.metrics == {"val": {"psnr": 23.5}}
    assert metadata.generator == TINY_GENERATOR
    x = torch.rand(1, 1, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded(x), generator(x))


def test_half_precision_on_disk_loads_as_float32(tmp_path):
    generator = UNetGenerator(TINY_GENERATOR).eval()
    path = save_artifact(tmp_path / "half.safetensors", generator, _metadata(), half_precision=True)
    assert all(t.dtype in (torch.float16, torch.int64) for t in load_file(str(path)).values())
    loaded, _ = load_artifact(path)
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    x = torch.rand(1, 1, 64, 64)
    with torch.no_grad():
        assert (loaded(x) - generator(x)).abs().max() < 0.05


def test_metadata_readable_without_loading_tensors(tmp_path):
    path = save_artifact(tmp_path / "m.safetensors", UNetGenerator(TINY_GENERATOR), _metadata())
    assert read_metadata(path).to_dict()["lab"] == {"l_center": 50.0, "l_scale": 50.0, "ab_scale": 110.0}


def _rewrite(path, tensors=None, metadata_change=None):
    tensors = tensors if tensors is not None else load_file(str(path))
    from safetensors import safe_open

    with safe_open(str(path), "pt") as handle:
        header = dict(handle.metadata())
    if metadata_change:
        values = json.loads(header["colorizer"])
        values.update(metadata_change)
        header["colorizer"] = json.dumps(values)
    save_file(tensors, str(path), metadata=header)


def test_unknown_format_version_names_the_file(tmp_path):
    path = save_artifact(tmp_path / "v99.safetensors", UNetGenerator(TINY_GENERATOR), _metadata())
    _rewrite(path, metadata_change={"format_version": 99})
    with pytest.raises(ArtifactError, match=r"v99\.safetensors.*format version 99"):
        load_artifact(path)


def test_missing_tensor_names_the_file_and_tensor(tmp_path):
    path = save_artifact(tmp_path / "partial.safetensors", UNetGenerator(TINY_GENERATOR), _metadata())
    tensors = load_file(str(path))
    del tensors["head.weight"]
    _rewrite(path, tensors=tensors)
    with pytest.raises(ArtifactError, match=r"partial\.safetensors.*missing tensors.*head\.weight"):
        load_artifact(path)


@pytest.mark.parametrize("content", [b"", b"not a safetensors file at all", b"\x00" * 64])
def test_unreadable_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(content)
    with pytest.raises(ArtifactError, match=r"broken\.safetensors"):
        load_artifact(path)


def test_absent_file_is_a_clear_error(tmp_path):
    with pytest.raises(ArtifactError, match="not found"):
        load_artifact(tmp_path / "absent.safetensors")


def test_pickle_checkpoint_is_refused(tmp_path):
    path = tmp_path / "pickled.safetensors"
    torch.save({"weights": torch.zeros(1)}, path)
    with pytest.raises(ArtifactError):
        load_artifact(path)


def test_the_weights_digest_is_recorded_and_ignores_the_metadata(tmp_path):
    torch.manual_seed(0)
    generator = UNetGenerator(TINY_GENERATOR)
    first = save_artifact(tmp_path / "first.safetensors", generator, _metadata(version="1.0.0"))
    second = save_artifact(tmp_path / "second.safetensors", generator, _metadata(version="2.0.0", metrics={"x": 1}))
    digest = read_metadata(first).weights_sha256
    assert digest is not None and len(digest) == 64 and digest == weights_sha256(first)
    assert read_metadata(second).weights_sha256 == digest  # other metadata, same weights
    assert load_artifact(first)[1].weights_sha256 == digest
    with torch.no_grad():
        generator.get_parameter("head.bias").add_(1.0)
    third = save_artifact(tmp_path / "third.safetensors", generator, _metadata())
    assert read_metadata(third).weights_sha256 != digest


def test_an_artifact_from_before_the_digest_gets_it_computed_when_read(tmp_path):
    path = save_artifact(tmp_path / "old.safetensors", UNetGenerator(TINY_GENERATOR), _metadata())
    recorded = read_metadata(path).weights_sha256
    _rewrite(path, metadata_change={"weights_sha256": None})  # as written before the field existed
    with safe_open(str(path), framework="numpy") as handle:
        assert json.loads(handle.metadata()[METADATA_KEY])["weights_sha256"] is None
    assert read_metadata(path).weights_sha256 == recorded
