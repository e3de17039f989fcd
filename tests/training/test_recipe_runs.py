"""Tiny runs with the v2 recipe's options: photos on the device, EMA, lr decay, colour terms, resume, export."""

from __future__ import annotations

import pytest
import torch

from model.artifact import load_artifact
from tests.training.test_training_runs import tiny_config
from training import trainer as trainer_module
from training.checkpoint import load_checkpoint
from training.cli import main as cli_main
from training.run_files import read_metrics
from training.trainer import train


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def v2_config(train_dir, val_dir, out_dir, **overrides):
    options = {
        "data_on_device": True, "hints": True, "ema_decay": 0.5, "gan_lr_decay_start": 0.5, "rebalanced_l1": True,
        "colourfulness_weight": 0.5, "l1_epochs": 1, "gan_epochs": 2,
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
    differs = [k for k, v in state["generator"].items() if v.is_floating_point() and not torch.equal(v, state["generator_ema"][k])]
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
    assert cli_main(["export", "--checkpoint", str(straight / "last.pt"), "--out", str(artifact), "--full-precision", "--version", "0.0.1"]) == 0
    generator, metadata = load_artifact(artifact)
    for name, value in generator.state_dict().items():
        assert torch.equal(value, state["generator_ema"][name]), name
    recipe = metadata.training["recipe"]
    assert recipe["ema_decay"] == 0.5 and recipe["weights"] == "EMA of the generator"
    assert recipe["gan_lr_decay_start"] == 0.5 and recipe["rebalanced_l1"] is True and recipe["colourfulness_weight"] == 0.5
    assert "on the device" in recipe["augmentation"]
    raw = tmp_path / "raw.safetensors"
    assert cli_main(["export", "--checkpoint", str(straight / "last.pt"), "--out", str(raw), "--full-precision", "--raw-generator", "--version", "0.0.1"]) == 0
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
