"""Weight averaging of artifacts (training.average, through the CLI)."""

from __future__ import annotations

import pytest
import torch

from training.cli import main as cli_main


def test_average_of_artifacts_is_the_mean_of_their_weights(tmp_path):
    from model.artifact import load_artifact
    from tests.conftest import write_tiny_artifact

    first = write_tiny_artifact(tmp_path / "a.safetensors", seed=1)
    second = write_tiny_artifact(tmp_path / "b.safetensors", seed=2)
    out = tmp_path / "avg.safetensors"
    assert cli_main(["average", str(first), str(second), "--out", str(out), "--version", "avg-1"]) == 0
    averaged, metadata = load_artifact(out)
    a, b = load_artifact(first)[0].state_dict(), load_artifact(second)[0].state_dict()
    key = "head.weight"
    assert torch.allclose(averaged.state_dict()[key], (a[key] + b[key]) / 2, atol=1e-3)
    assert metadata.version == "avg-1" and metadata.training["averaged_from"] == ["a.safetensors", "b.safetensors"]
    weighted = tmp_path / "weighted.safetensors"
    assert cli_main(["average", str(first), str(second), "--out", str(weighted), "--weights", "3", "1"]) == 0
    assert torch.allclose(load_artifact(weighted)[0].state_dict()[key], 0.75 * a[key] + 0.25 * b[key], atol=1e-3)
    with pytest.raises(ValueError, match="one non-negative weight"):
        cli_main(["average", str(first), str(second), "--out", str(weighted), "--weights", "1"])
