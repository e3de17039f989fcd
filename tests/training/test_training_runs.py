"""End-to-end training runs on tiny data: both phases, files, resume, interruption, export."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from model.artifact import onnx_path_for
from model.colorizer import Colorizer
from model.hints import Hint
from tests.conftest import make_photo
from training.checkpoint import load_checkpoint
from training.cli import main as cli_main
from training.config import TrainConfig
from training.run_files import read_metrics
from training.trainer import train

REPO = Path(__file__).resolve().parents[2]


def tiny_config(train_dir, val_dir, out_dir, **overrides) -> TrainConfig:
    values = dict(
        data_dir=str(train_dir), val_dir=str(val_dir), out_dir=str(out_dir), image_size=32, batch_size=4,
        l1_epochs=1, gan_epochs=1, decoder_channels=[16, 16, 16, 8, 8], device="cpu", workers=0, seed=0,
        sample_count=2, progress=False, min_image_side=16,
    )
    values.update(overrides)
    return TrainConfig(**values)


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_both_phases_learn_and_write_their_files(photo_folders, tmp_path):
    train_dir, val_dir = photo_folders
    out = tmp_path / "run"
    result = train(tiny_config(train_dir, val_dir, out, l1_epochs=4, gan_epochs=2, image_size=48))
    rows = read_metrics(out / "metrics.csv")
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [int(r["phase"]) for r in rows] == [1, 1, 1, 1, 2, 2]
    assert float(rows[3]["train_l1"]) < float(rows[0]["train_l1"])
    assert float(rows[3]["val_l1"]) < float(rows[0]["val_l1"])
    gan_row = rows[-1]
    for key in ("train_g_gan", "train_d_loss", "val_g_gan", "val_d_loss", "val_g_total"):
        assert float(gan_row[key]) > 0
    assert rows[0]["train_g_gan"] == "nan"  # no adversarial loss in phase 1
    for name in ("last.pt", "best.pt", "psnr.png", "gan_loss.png", "samples.png", "train.log"):
        assert (out / name).is_file(), name
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))
    state = load_checkpoint(out / "last.pt")
    assert state["epoch"] == 6 and state["phase"] == 2
    assert set(state) >= {"generator", "discriminator", "optimizer_g", "optimizer_d", "rng", "config", "global_step"}
    assert state["global_step"] == 6 * (12 // 4)
    # best.pt is the best GAN-phase epoch, never an L1-phase one.
    assert load_checkpoint(out / "best.pt")["best"]["phase"] == 2
    # last.pt carries the current best too, so a resumed run never overwrites best.pt with a worse epoch.
    assert state["best"] == load_checkpoint(out / "best.pt")["best"]
    assert 0 < float(gan_row["val_ssim"]) <= 1
    assert result["val"]["psnr"] == pytest.approx(float(gan_row["val_psnr"]), rel=1e-4)


def _weights(path):
    state = load_checkpoint(path)
    return {**{f"g.{k}": v for k, v in state["generator"].items()}, **{f"d.{k}": v for k, v in state["discriminator"].items()}}


def test_resume_gives_identical_weights(photo_folders, tmp_path):
    train_dir, val_dir = photo_folders
    straight = tmp_path / "straight"
    train(tiny_config(train_dir, val_dir, straight))
    split = tmp_path / "split"
    train(tiny_config(train_dir, val_dir, split, gan_epochs=0))  # stop after epoch 1 (end of phase 1)
    assert load_checkpoint(split / "last.pt")["epoch"] == 1
    train(tiny_config(train_dir, val_dir, split), resume=str(split / "last.pt"))
    expected, actual = _weights(straight / "last.pt"), _weights(split / "last.pt")
    assert expected.keys() == actual.keys()
    for key in expected:
        assert torch.equal(expected[key], actual[key]), key
    assert [r["epoch"] for r in read_metrics(split / "metrics.csv")] == ["1", "2"]


_WRITER = """
import sys, torch
from training.checkpoint import save_checkpoint
state = {"weights": torch.randn(4_000_000), "epoch": 0}
for epoch in range(1_000_000):
    state["epoch"] = epoch
    save_checkpoint(state, sys.argv[1])
    print(epoch, flush=True)
"""


def test_kill_during_checkpoint_write_never_leaves_a_corrupt_file(tmp_path):
    path = tmp_path / "last.pt"
    for attempt in range(4):
        process = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)], cwd=REPO, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        process.stdout.readline()  # one complete write happened
        for _ in range(attempt):
            process.stdout.readline()
        process.kill()  # SIGKILL, most likely in the middle of the next write
        process.wait()
        state = load_checkpoint(path)
        assert state["weights"].shape == (4_000_000,)


def test_sigterm_mid_epoch_saves_a_resumable_checkpoint(photo_folders, tmp_path):
    train_dir, val_dir = photo_folders
    out = tmp_path / "interrupted"
    args = [
        sys.executable, "-m", "training", "train", "--data-dir", str(train_dir), "--val-dir", str(val_dir),
        "--out-dir", str(out), "--image-size", "32", "--batch-size", "2", "--l1-epochs", "50", "--gan-epochs", "0",
        "--decoder-channels", "16", "16", "16", "8", "8", "--device", "cpu", "--workers", "1", "--no-progress",
        "--min-image-side", "16",
    ]
    # Its own process group, signalled as a whole (as Ctrl-C or `timeout` do): the data
    # worker must not die and take the checkpoint with it.
    process = subprocess.Popen(args, cwd=REPO, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    for line in process.stderr:
        if "epoch 1 (phase 1)" in line:  # first epoch finished: now inside epoch 2
            break
    os.killpg(process.pid, signal.SIGTERM)
    _, remaining = process.communicate(timeout=120)
    assert process.returncode == 130, remaining
    state = load_checkpoint(out / "last.pt")
    assert state["epoch"] >= 1
    assert state["interrupted"] or state["batches_done"] == 0


def test_export_then_colorize_and_evaluate(photo_folders, tmp_path, capsys):
    train_dir, val_dir = photo_folders
    out = tmp_path / "run"
    train(tiny_config(train_dir, val_dir, out))
    artifact = tmp_path / "model.safetensors"
    assert cli_main(["export", "--checkpoint", str(out / "best.pt"), "--out", str(artifact), "--version", "9.9.9",
                     "--description", "tiny test model"]) == 0
    # The ONNX file is written beside the artifact, so the CPU picks ONNX Runtime.
    colorizer = Colorizer.load(artifact, device="cpu")
    assert colorizer.backend_name == "onnx" and onnx_path_for(artifact).is_file()
    assert colorizer.version == "9.9.9" and colorizer.render_size == 32
    assert colorizer.metadata.training["description"] == "tiny test model"
    assert colorizer.metadata.training["recipe"]["l1_epochs"] == 1
    assert "psnr" in colorizer.metadata.metrics["val"]
    photo = make_photo(70, 50, seed=5).convert("L")
    assert colorizer.colorize(photo).size == (70, 50)

    report = tmp_path / "eval.json"
    capsys.readouterr()
    grid = tmp_path / "grid.png"
    assert cli_main(["evaluate", "--artifact", str(artifact), "--data-dir", str(val_dir), "--json", str(report),
                     "--device", "cpu", "--sample-grid", str(grid), "--sample-count", "3"]) == 0
    assert grid.is_file() and grid.stat().st_size > 1000
    weights_before = Colorizer.load(artifact, device="cpu", backend="torch").backend.generator.state_dict()
    assert cli_main(["evaluate", "--artifact", str(artifact), "--data-dir", str(val_dir), "--device", "cpu",
                     "--limit", "2", "--record-as", "holdout"]) == 0
    recorded = Colorizer.load(artifact, device="cpu", backend="torch")
    assert recorded.metadata.metrics["holdout"]["images"] == 2
    assert "psnr_gain_db" in recorded.metadata.metrics["holdout"]
    for key, value in recorded.backend.generator.state_dict().items():
        assert torch.equal(value, weights_before[key]), key
    # Recording rewrote the artifact, and its ONNX file with it (else the ONNX backend refuses it).
    assert Colorizer.load(artifact, backend="onnx").metadata.metrics["holdout"]["images"] == 2
    table = capsys.readouterr().out
    assert "grayscale baseline" in table and "ground truth" in table and "model - baseline" in table
    result = json.loads(report.read_text())
    assert result["images"] == 4
    assert result["grayscale_baseline"]["colorfulness"] < 1.0
    assert result["ground_truth"]["colorfulness"] > 10
    assert result["gain_over_baseline"]["psnr_db"] == pytest.approx(
        result["model_metrics"]["psnr"] - result["grayscale_baseline"]["psnr"]
    )


def test_init_from_artifact_starts_from_its_generator(photo_folders, tmp_path):
    train_dir, val_dir = photo_folders
    first = tmp_path / "first"
    train(tiny_config(train_dir, val_dir, first, gan_epochs=0))
    artifact = tmp_path / "start.safetensors"
    cli_main(["export", "--checkpoint", str(first / "last.pt"), "--out", str(artifact), "--full-precision", "--no-onnx"])
    second = tmp_path / "second"
    train(tiny_config(train_dir, val_dir, second, l1_epochs=1, gan_epochs=0, lr_g=0.0, init_from=str(artifact)))
    started, continued = load_checkpoint(first / "last.pt")["generator"], load_checkpoint(second / "last.pt")["generator"]
    for key, value in started.items():
        if value.is_floating_point() and "running" not in key:  # BatchNorm statistics still move at lr 0
            assert torch.equal(value, continued[key]), key
    mismatched = tiny_config(train_dir, val_dir, tmp_path / "bad", decoder_channels=[32, 16, 16, 8, 8], init_from=str(artifact))
    with pytest.raises(SystemExit, match="differs"):
        train(mismatched)


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


def test_each_network_gets_its_own_learning_rate_and_betas(photo_folders, tmp_path):
    train_dir, val_dir = photo_folders
    out = tmp_path / "opt"
    train(tiny_config(train_dir, val_dir, out, gan_epochs=0, lr_g=1e-4, lr_d=3e-4, betas_g=[0.4, 0.99], betas_d=[0.1, 0.9]))
    state = load_checkpoint(out / "last.pt")
    generator_group, discriminator_group = state["optimizer_g"]["param_groups"][0], state["optimizer_d"]["param_groups"][0]
    assert generator_group["lr"] == 1e-4 and tuple(generator_group["betas"]) == (0.4, 0.99)
    assert discriminator_group["lr"] == 3e-4 and tuple(discriminator_group["betas"]) == (0.1, 0.9)


def test_a_hint_run_from_a_one_channel_model_learns_to_take_hints(photo_folders, tmp_path, capsys):
    """--hints with --init-from a model without hint inputs, both phases, export, evaluate --hints."""
    train_dir, val_dir = photo_folders
    start = tmp_path / "start"
    train(tiny_config(train_dir, val_dir, start, l1_epochs=1, gan_epochs=0))
    v1 = tmp_path / "v1.safetensors"
    cli_main(["export", "--checkpoint", str(start / "last.pt"), "--out", str(v1), "--full-precision", "--no-onnx"])

    out = tmp_path / "hints"
    train(tiny_config(train_dir, val_dir, out, hints=True, init_from=str(v1), distill_from=str(v1), hint_lr_scale=5.0,
                      hint_none_share=0.5, hint_mean_count=3.0))
    rows = read_metrics(out / "metrics.csv")
    assert [int(r["phase"]) for r in rows] == [1, 2]
    assert all(float(r["val_psnr_hints10"]) > 0 for r in rows)
    artifact = tmp_path / "hinted.safetensors"
    assert cli_main(["export", "--checkpoint", str(out / "last.pt"), "--out", str(artifact)]) == 0
    colorizer = Colorizer.load(artifact, device="cpu", backend="torch")
    assert colorizer.metadata.generator.in_channels == 4 and colorizer.supports_hints
    # Its ONNX file takes the hint planes too, and gives the same picture with hints.
    onnx_colorizer = Colorizer.load(artifact, backend="onnx")
    photo, pins = make_photo(64, 48, seed=2).convert("L"), [Hint(0.3, 0.4, (200, 40, 40)), Hint(0.8, 0.7, (30, 90, 200))]
    assert np.abs(np.asarray(onnx_colorizer.colorize(photo, hints=pins), np.int16)
                  - np.asarray(colorizer.colorize(photo, hints=pins), np.int16)).max() <= 1
    assert colorizer.metadata.training["recipe"]["hints"]["distill_from"] == str(v1)
    # The hint weights moved away from zero: the network itself now reads the hints.
    weight = colorizer.backend.generator.encoder.stem[0].weight
    assert weight[:, 1:].abs().sum() > 0

    capsys.readouterr()
    report = tmp_path / "eval.json"
    assert cli_main(["evaluate", "--artifact", str(artifact), "--data-dir", str(val_dir), "--device", "cpu",
                     "--hints", "10", "--json", str(report)]) == 0
    table = capsys.readouterr().out
    assert "model, 10 hints" in table and "hints - automatic" in table
    result = json.loads(report.read_text())
    assert result["hints"]["count"] == 10 and result["hints"]["propagation"] is True
    # Ten true colours spread along the edges beat a random tiny model's guesses.
    assert result["hints"]["psnr_gain_over_automatic_db"] > 0.5
    # --record-as keeps the hinted numbers beside the automatic ones.
    assert cli_main(["evaluate", "--artifact", str(artifact), "--data-dir", str(val_dir), "--device", "cpu",
                     "--limit", "2", "--hints", "4", "--record-as", "holdout"]) == 0
    recorded = Colorizer.load(artifact, backend="torch").metadata.metrics["holdout"]
    assert recorded["hints"]["count"] == 4 and "psnr_gain_over_automatic_db" in recorded["hints"]
    # A model without hint inputs refuses --hints.
    with pytest.raises(SystemExit, match="hint"):
        cli_main(["evaluate", "--artifact", str(v1), "--data-dir", str(val_dir), "--device", "cpu", "--hints", "3"])
