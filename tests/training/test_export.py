"""Checkpoint -> artifact (training.export, through the CLI): metadata, the weights digest, version
refusal, then colorizing with it and evaluating it (training.evaluate, --record-as)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from model.artifact import onnx_path_for, read_metadata, weights_sha256
from model.colorizer import Colorizer
from model.generator_config import GeneratorConfig
from tests.conftest import make_photo
from tests.training.conftest import evaluate_argv, tiny_config, torch_generator
from training.cli import main as cli_main
from training.trainer import train


def test_export_then_colorize_and_evaluate(photo_folders, tmp_path, capsys):
    train_dir, val_dir = photo_folders
    out = tmp_path / "run"
    train(tiny_config(train_dir, val_dir, out))
    artifact = tmp_path / "model.safetensors"
    assert (
        cli_main(
            [
                "export",
                "--checkpoint",
                str(out / "best.pt"),
                "--out",
                str(artifact),
                "--version",
                "9.9.9",
                "--description",
                "tiny test model",
            ]
        )
        == 0
    )
    # The ONNX file is written beside the artifact, so the CPU picks ONNX Runtime.
    colorizer = Colorizer.load(artifact, device="cpu")
    assert colorizer.backend_name == "onnx" and onnx_path_for(artifact).is_file()
    assert colorizer.version == "9.9.9" and colorizer.render_size == 32
    assert colorizer.metadata.training["description"] == "tiny test model"
    assert colorizer.metadata.training["recipe"]["l1_epochs"] == 1
    assert "psnr" in colorizer.metadata.metrics["val"]
    # The digest of the weights is recorded, and is the digest of the tensor bytes after the header.
    digest = read_metadata(artifact).weights_sha256
    assert digest == weights_sha256(artifact) and len(digest) == 64
    assert colorizer.metadata.weights_sha256 == digest  # the ONNX file carries it too
    # The same version is not exported over silently; a new version or --overwrite is needed.
    capsys.readouterr()
    again = ["export", "--checkpoint", str(out / "best.pt"), "--out", str(artifact), "--no-onnx", "--version", "9.9.9"]
    assert cli_main(again) == 1
    assert "already holds version 9.9.9" in capsys.readouterr().err
    assert cli_main([*again, "--overwrite", "--description", "tiny test model"]) == 0
    with pytest.raises(SystemExit) as usage:
        cli_main(["export", "--checkpoint", str(out / "best.pt"), "--out", str(tmp_path / "unversioned.safetensors")])
    assert usage.value.code == 2 and not (tmp_path / "unversioned.safetensors").exists()
    photo = make_photo(70, 50, seed=5).convert("L")
    assert colorizer.colorize(photo).size == (70, 50)

    report = tmp_path / "eval.json"
    capsys.readouterr()
    grid = tmp_path / "grid.png"
    options = ["--json", str(report), "--sample-grid", str(grid), "--sample-count", "3"]
    assert cli_main(evaluate_argv(artifact, val_dir, *options)) == 0
    assert grid.is_file() and grid.stat().st_size > 1000
    weights_before = torch_generator(Colorizer.load(artifact, device="cpu", backend="torch")).state_dict()
    assert cli_main(evaluate_argv(artifact, val_dir, "--limit", "2", "--record-as", "holdout")) == 0
    recorded = Colorizer.load(artifact, device="cpu", backend="torch")
    assert recorded.metadata.metrics["holdout"]["images"] == 2
    assert "psnr_gain_db" in recorded.metadata.metrics["holdout"]
    for key, value in torch_generator(recorded).state_dict().items():
        assert torch.equal(value, weights_before[key]), key
    # Recording rewrote the artifact, and its ONNX file with it (else the ONNX backend refuses it).
    assert Colorizer.load(artifact, backend="onnx").metadata.metrics["holdout"]["images"] == 2
    assert read_metadata(artifact).weights_sha256 == digest  # same weights, same digest
    table = capsys.readouterr().out
    assert "grayscale baseline" in table and "ground truth" in table and "model - baseline" in table
    result = json.loads(report.read_text())
    assert result["images"] == 4
    assert result["grayscale_baseline"]["colorfulness"] < 1.0
    assert result["ground_truth"]["colorfulness"] > 10
    assert result["gain_over_baseline"]["psnr_db"] == pytest.approx(
        result["model_metrics"]["psnr"] - result["grayscale_baseline"]["psnr"]
    )
    # --vibrance scales every colorization's chroma, as the product's option does: 0 is grayscale.
    scaled = {}
    for vibrance in ("0", "2"):
        path = tmp_path / f"eval-{vibrance}.json"
        assert cli_main(evaluate_argv(artifact, val_dir, "--vibrance", vibrance, "--json", str(path))) == 0
        scaled[vibrance] = json.loads(path.read_text())
    assert "vibrance 2.0" in capsys.readouterr().out
    assert scaled["0"]["vibrance"] == 0.0 and result["vibrance"] == 1.0
    assert scaled["0"]["model_metrics"]["colorfulness"] == pytest.approx(
        scaled["0"]["grayscale_baseline"]["colorfulness"], abs=0.5
    )
    assert scaled["2"]["model_metrics"]["colorfulness"] > result["model_metrics"]["colorfulness"]


@pytest.mark.slow
def test_export_of_a_freshly_trained_full_size_model(photo_folders, tmp_path):
    """The issue's case: 1 + 1 epochs at 64 px with the shipped architecture, then export with ONNX (float16)."""
    from training.onnx_export import ExportMismatch, check_agreement

    train_dir, val_dir = photo_folders
    out = tmp_path / "run"
    train(
        tiny_config(train_dir, val_dir, out, image_size=64, decoder_channels=list(GeneratorConfig().decoder_channels))
    )
    artifact = tmp_path / "m.safetensors"
    assert cli_main(["export", "--checkpoint", str(out / "last.pt"), "--out", str(artifact), "--version", "0.0.1"]) == 0
    colorizer = Colorizer.load(artifact, device="cpu")
    assert colorizer.backend_name == "onnx"
    # The ONNX file and torch give the same picture, to what an eye could never see.
    photo = make_photo(80, 64, seed=9).convert("L")
    onnx_picture = np.asarray(colorizer.colorize(photo), dtype=np.int16)
    torch_picture = np.asarray(Colorizer.load(artifact, device="cpu", backend="torch").colorize(photo), dtype=np.int16)
    assert np.abs(onnx_picture - torch_picture).max() <= 2
    # The judgement itself: invisible rounding passes, a visible difference does not.
    reference = np.zeros((1, 2, 32, 32), dtype=np.float32)
    assert check_agreement(reference + 1.36e-3, reference, 110.0, "float16") == pytest.approx(0.1496, abs=1e-3)
    with pytest.raises(ExportMismatch, match="in a\\*/b\\*"):
        check_agreement(reference + 0.03, reference, 110.0, "float16")
    with pytest.raises(ExportMismatch):
        check_agreement(reference + 1.36e-3, reference, 110.0, "float32")
    with pytest.raises(ExportMismatch):
        check_agreement(reference * np.nan, reference, 110.0, "float16")
