"""The training loop (training.trainer): tiny real runs of both phases, resume, stop signals,
the v2 recipe's options, and what reaches the step."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch

from model.artifact import load_artifact
from model.colorizer import Colorizer
from model.hints import Hint
from tests.conftest import make_photo
from tests.training.conftest import REPO, evaluate_argv, tiny_config, tiny_train_argv, torch_generator
from training import trainer as trainer_module
from training.checkpoint import load_checkpoint
from training.cli import main as cli_main
from training.colour_losses import (
    AB_BINS,
)
from training.run_files import read_metrics
from training.trainer import train


def test_trainer_options_reach_the_step(photo_folders, tmp_path):
    from training.trainer import Trainer

    train_dir, val_dir = photo_folders
    config = tiny_config(
        train_dir,
        val_dir,
        tmp_path / "run",
        rebalanced_l1=True,
        colourfulness_weight=0.25,
        data_on_device=True,
        hints=True,
    )
    trainer = Trainer(config)
    ab_weights = trainer.nets.ab_weights
    assert ab_weights is not None and ab_weights.shape == (AB_BINS * AB_BINS,)
    assert trainer.nets.colourfulness_weight == 0.25
    assert ab_weights.min() > 0 and ab_weights.max() > 1
    assert trainer.nets.ema is None  # the average starts with the adversarial phase
    plain = Trainer(tiny_config(train_dir, val_dir, tmp_path / "plain"))
    assert plain.nets.ab_weights is None and plain.nets.colourfulness_weight == 0.0 and plain.nets.ema is None


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
    return {
        **{f"g.{k}": v for k, v in state["generator"].items()},
        **{f"d.{k}": v for k, v in state["discriminator"].items()},
    }


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


def test_sigterm_mid_epoch_saves_a_resumable_checkpoint(photo_folders, tmp_path):
    train_dir, val_dir = photo_folders
    out = tmp_path / "interrupted"
    args = [
        *(sys.executable, "-m", "training", "train"),
        *tiny_train_argv(train_dir, val_dir, out, "--l1-epochs", "50", "--gan-epochs", "0", "--workers", "1"),
    ]
    # Its own process group, signalled as a whole (as Ctrl-C or `timeout` do): the data
    # worker must not die and take the checkpoint with it.
    process = subprocess.Popen(
        args,
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "epoch 1 (phase 1)" in line:  # first epoch finished: now inside epoch 2
            break
    os.killpg(process.pid, signal.SIGTERM)
    _, remaining = process.communicate(timeout=120)
    assert process.returncode == 130, remaining
    state = load_checkpoint(out / "last.pt")
    assert state["epoch"] >= 1
    assert state["interrupted"] or state["batches_done"] == 0


def test_init_from_artifact_starts_from_its_generator(photo_folders, tmp_path):
    train_dir, val_dir = photo_folders
    first = tmp_path / "first"
    train(tiny_config(train_dir, val_dir, first, gan_epochs=0))
    artifact = tmp_path / "start.safetensors"
    cli_main(
        [
            "export",
            "--checkpoint",
            str(first / "last.pt"),
            "--out",
            str(artifact),
            "--full-precision",
            "--no-onnx",
            "--version",
            "0.0.1",
        ]
    )
    second = tmp_path / "second"
    train(tiny_config(train_dir, val_dir, second, l1_epochs=1, gan_epochs=0, lr_g=0.0, init_from=str(artifact)))
    started, continued = (
        load_checkpoint(first / "last.pt")["generator"],
        load_checkpoint(second / "last.pt")["generator"],
    )
    for key, value in started.items():
        if value.is_floating_point() and "running" not in key:  # BatchNorm statistics still move at lr 0
            assert torch.equal(value, continued[key]), key
    mismatched = tiny_config(
        train_dir, val_dir, tmp_path / "bad", decoder_channels=[32, 16, 16, 8, 8], init_from=str(artifact)
    )
    with pytest.raises(SystemExit, match="differs"):
        train(mismatched)


def test_each_network_gets_its_own_learning_rate_and_betas(photo_folders, tmp_path):
    train_dir, val_dir = photo_folders
    out = tmp_path / "opt"
    train(
        tiny_config(
            train_dir, val_dir, out, gan_epochs=0, lr_g=1e-4, lr_d=3e-4, betas_g=[0.4, 0.99], betas_d=[0.1, 0.9]
        )
    )
    state = load_checkpoint(out / "last.pt")
    generator_group, discriminator_group = (
        state["optimizer_g"]["param_groups"][0],
        state["optimizer_d"]["param_groups"][0],
    )
    assert generator_group["lr"] == 1e-4 and tuple(generator_group["betas"]) == (0.4, 0.99)
    assert discriminator_group["lr"] == 3e-4 and tuple(discriminator_group["betas"]) == (0.1, 0.9)


def test_a_hint_run_from_a_one_channel_model_learns_to_take_hints(photo_folders, tmp_path, capsys):
    """--hints with --init-from a model without hint inputs, both phases, export, evaluate --hints."""
    train_dir, val_dir = photo_folders
    start = tmp_path / "start"
    train(tiny_config(train_dir, val_dir, start, l1_epochs=1, gan_epochs=0))
    v1 = tmp_path / "v1.safetensors"
    cli_main(
        [
            "export",
            "--checkpoint",
            str(start / "last.pt"),
            "--out",
            str(v1),
            "--full-precision",
            "--no-onnx",
            "--version",
            "1.0.0",
        ]
    )

    out = tmp_path / "hints"
    train(
        tiny_config(
            train_dir,
            val_dir,
            out,
            hints=True,
            init_from=str(v1),
            distill_from=str(v1),
            hint_lr_scale=5.0,
            hint_none_share=0.5,
            hint_mean_count=3.0,
        )
    )
    rows = read_metrics(out / "metrics.csv")
    assert [int(r["phase"]) for r in rows] == [1, 2]
    assert all(float(r["val_psnr_hints10"]) > 0 for r in rows)
    artifact = tmp_path / "hinted.safetensors"
    assert cli_main(["export", "--checkpoint", str(out / "last.pt"), "--out", str(artifact), "--version", "1.1.0"]) == 0
    colorizer = Colorizer.load(artifact, device="cpu", backend="torch")
    assert colorizer.metadata.generator.in_channels == 4 and colorizer.supports_hints
    # Its ONNX file takes the hint planes too, and gives the same picture with hints.
    onnx_colorizer = Colorizer.load(artifact, backend="onnx")
    photo, pins = (
        make_photo(64, 48, seed=2).convert("L"),
        [Hint(0.3, 0.4, (200, 40, 40)), Hint(0.8, 0.7, (30, 90, 200))],
    )
    assert (
        np.abs(
            np.asarray(onnx_colorizer.colorize(photo, hints=pins), np.int16)
            - np.asarray(colorizer.colorize(photo, hints=pins), np.int16)
        ).max()
        <= 1
    )
    recipe = colorizer.metadata.training["recipe"]  # the run's whole TrainConfig
    assert recipe["hints"] is True and recipe["distill_from"] == str(v1)
    # The hint weights moved away from zero: the network itself now reads the hints.
    weight = torch_generator(colorizer).get_parameter("encoder.stem.0.weight")
    assert weight[:, 1:].abs().sum() > 0

    capsys.readouterr()
    report = tmp_path / "eval.json"
    assert cli_main(evaluate_argv(artifact, val_dir, "--hints", "10", "--json", str(report))) == 0
    table = capsys.readouterr().out
    assert "model, 10 hints" in table and "hints - automatic" in table
    result = json.loads(report.read_text())
    assert result["hints"]["count"] == 10 and result["hints"]["propagation"] is True
    # Ten true colours spread along the edges beat a random tiny model's guesses.
    assert result["hints"]["psnr_gain_over_automatic_db"] > 0.5
    # --record-as keeps the hinted numbers beside the automatic ones.
    assert cli_main(evaluate_argv(artifact, val_dir, "--limit", "2", "--hints", "4", "--record-as", "holdout")) == 0
    recorded = Colorizer.load(artifact, backend="torch").metadata.metrics["holdout"]
    assert recorded["hints"]["count"] == 4 and "psnr_gain_over_automatic_db" in recorded["hints"]
    # A model without hint inputs refuses --hints.
    with pytest.raises(SystemExit, match="hint"):
        cli_main(evaluate_argv(v1, val_dir, "--hints", "3"))


def v2_config(train_dir, val_dir, out_dir, **overrides):
    options = {
        "data_on_device": True,
        "hints": True,
        "ema_decay": 0.5,
        "gan_lr_decay_start": 0.5,
        "rebalanced_l1": True,
        "colourfulness_weight": 0.5,
        "l1_epochs": 1,
        "gan_epochs": 2,
    }
    options.update(overrides)
    return tiny_config(train_dir, val_dir, out_dir, **options)


class _StopAfter:
    """Stands in for StopRequest.agreed: asks to stop at its `after`-th call (one call per step)."""

    def __init__(self, after: int) -> None:
        self.after, self.calls = after, 0

    def __call__(self, context, device) -> bool:  # noqa: ARG002 (set on the class: called unbound)
        self.calls += 1
        return self.calls == self.after


def test_v2_options_train_resume_mid_epoch_exactly_and_export_the_average(photo_folders, tmp_path, monkeypatch):
    train_dir, val_dir = photo_folders
    straight = tmp_path / "straight"
    train(v2_config(train_dir, val_dir, straight))
    state = load_checkpoint(straight / "last.pt")
    rows = read_metrics(straight / "metrics.csv")
    assert [int(r["phase"]) for r in rows] == [1, 2, 2]
    assert load_checkpoint(straight / "phase1.pt")["epoch"] == 1
    assert state["generator_ema"] is not None
    differs = [
        k
        for k, v in state["generator"].items()
        if v.is_floating_point() and not torch.equal(v, state["generator_ema"][k])
    ]
    assert differs  # the average lags the weights
    # 12 photos, batch 4: 3 steps per epoch, 6 adversarial steps, decay over the last 3: the last at 1/4.
    assert state["optimizer_g"]["param_groups"][0]["lr"] == pytest.approx(2e-4 / 4)
    assert state["optimizer_d"]["param_groups"][0]["lr"] == pytest.approx(2e-4 / 4)

    # Interrupted in the middle of epoch 3 (the first adversarial step's check is call 1 of epoch 2).
    split = tmp_path / "split"
    real_agreed = trainer_module.StopRequest.agreed
    # Calls per epoch: 2 mid-epoch checks (after steps 1 and 2) + 1 after the epoch.
    monkeypatch.setattr(trainer_module.StopRequest, "agreed", _StopAfter(after=7))
    result = train(v2_config(train_dir, val_dir, split))
    assert result["interrupted"]
    interrupted = load_checkpoint(split / "last.pt")
    assert interrupted["interrupted"] and interrupted["epoch"] == 2 and interrupted["batches_done"] == 1
    monkeypatch.setattr(trainer_module.StopRequest, "agreed", real_agreed)
    train(v2_config(train_dir, val_dir, split), resume=str(split / "last.pt"))
    resumed = load_checkpoint(split / "last.pt")
    for key in ("generator", "generator_ema", "discriminator"):
        for name, value in state[key].items():
            assert torch.equal(value, resumed[key][name]), (key, name)

    artifact = tmp_path / "v2.safetensors"
    assert (
        cli_main(
            [
                "export",
                "--checkpoint",
                str(straight / "last.pt"),
                "--out",
                str(artifact),
                "--full-precision",
                "--version",
                "0.0.1",
            ]
        )
        == 0
    )
    generator, metadata = load_artifact(artifact)
    for name, value in generator.state_dict().items():
        assert torch.equal(value, state["generator_ema"][name]), name
    recipe = metadata.training["recipe"]
    assert recipe["ema_decay"] == 0.5 and recipe["weights"] == "EMA of the generator"
    assert (
        recipe["gan_lr_decay_start"] == 0.5
        and recipe["rebalanced_l1"] is True
        and recipe["colourfulness_weight"] == 0.5
    )
    assert "on the device" in recipe["augmentation"]
    raw = tmp_path / "raw.safetensors"
    assert (
        cli_main(
            [
                "export",
                "--checkpoint",
                str(straight / "last.pt"),
                "--out",
                str(raw),
                "--full-precision",
                "--raw-generator",
                "--version",
                "0.0.1",
            ]
        )
        == 0
    )
    raw_generator, raw_metadata = load_artifact(raw)
    assert raw_metadata.training["recipe"]["weights"] == "the generator"
    assert torch.equal(raw_generator.state_dict()[differs[0]], state["generator"][differs[0]])


def test_device_data_and_loader_paths_validate_the_same_photos(photo_folders, tmp_path):
    """Validation crops are the same centre squares either way, so the first epoch's val metrics agree closely."""
    train_dir, val_dir = photo_folders
    runs = {}
    for name, on_device in (("loader", False), ("device", True)):
        out = tmp_path / name
        train(tiny_config(train_dir, val_dir, out, l1_epochs=1, gan_epochs=0, data_on_device=on_device, lr_g=0.0))
        runs[name] = read_metrics(out / "metrics.csv")[0]
    for key in ("val_psnr_grayscale", "val_colorfulness_truth"):
        assert float(runs["device"][key]) == pytest.approx(float(runs["loader"][key]), rel=1e-4), key


def test_save_every_writes_checkpoints_at_its_interval_and_each_phase_end(photo_folders, tmp_path, monkeypatch):
    train_dir, val_dir = photo_folders
    out = tmp_path / "sparse"
    saved = []
    real_save = trainer_module.Trainer._save

    def record(self, name, state):
        saved.append((name, state["epoch"]))
        real_save(self, name, state)

    monkeypatch.setattr(trainer_module.Trainer, "_save", record)
    train(tiny_config(train_dir, val_dir, out, l1_epochs=3, gan_epochs=2, save_every=2, data_on_device=True))
    assert sorted({epoch for name, epoch in saved if name == "last.pt"}) == [2, 3, 4, 5]
    assert [epoch for name, epoch in saved if name == "phase1.pt"] == [3]
    assert len(read_metrics(out / "metrics.csv")) == 5


def test_keep_gan_epochs_keeps_each_adversarial_epoch(photo_folders, tmp_path):
    train_dir, val_dir = photo_folders
    out = tmp_path / "kept"
    train(tiny_config(train_dir, val_dir, out, l1_epochs=2, gan_epochs=2, keep_gan_epochs=True, data_on_device=True))
    assert sorted(path.name for path in out.glob("epoch*.pt")) == ["epoch3.pt", "epoch4.pt"]
    third, last = load_checkpoint(out / "epoch3.pt"), load_checkpoint(out / "last.pt")
    assert third["epoch"] == 3 and third["phase"] == 2
    fourth = load_checkpoint(out / "epoch4.pt")["generator"]
    assert all(torch.equal(fourth[key], value) for key, value in last["generator"].items())
    assert not all(torch.equal(third["generator"][key], value) for key, value in last["generator"].items())


def test_cpu_recipe_options_cut_epochs_resize_progressively_and_decay_the_l1_rate(photo_folders, tmp_path, monkeypatch):
    """--epoch-images, --small-image-size/--small-image-epochs and --l1-lr-decay cosine, seen at each step."""
    train_dir, val_dir = photo_folders
    seen = []
    real_step = trainer_module.train_step

    def record(batch, nets, phase, *args, **kwargs):
        seen.append((phase, batch.shape[-1], nets.optimizer_g.param_groups[0]["lr"]))
        real_step(batch, nets, phase, *args, **kwargs)

    monkeypatch.setattr(trainer_module, "train_step", record)
    config = tiny_config(
        train_dir,
        val_dir,
        tmp_path / "cpu",
        image_size=32,
        small_image_size=16,
        small_image_epochs=2,
        l1_epochs=3,
        gan_epochs=1,
        epoch_images=8,
        l1_lr_decay="cosine",
        l1_lr_floor=0.1,
        data_on_device=True,
        encoder="efficientnet_lite0",
    )
    train(config)
    assert len(seen) == 4 * 2  # 8 photos of each epoch, batches of 4
    assert [size for _, size, _ in seen] == [16] * 4 + [32] * 4
    l1_rates = [lr for phase, _, lr in seen if phase == 1]
    assert l1_rates[0] == pytest.approx(config.lr_g)
    assert all(a > b for a, b in itertools.pairwise(l1_rates))
    assert l1_rates[-1] > 0.1 * config.lr_g
    rows = read_metrics(tmp_path / "cpu" / "metrics.csv")
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    artifact_config = load_checkpoint(tmp_path / "cpu" / "last.pt")["config"]
    assert artifact_config["encoder"] == "efficientnet_lite0"
