"""The v2 recipe's GPU session (tools/gpu_staging/v2_session.py) end to end on the CPU: photos -> parts -> one stage call per part -> train -> $OUT -> join.

About 30 s of CPU: the one check that the script a GPU session runs in its few
device calls works before that time is spent.
"""

import json

import torch

from tools.gpu_staging import v2_session
from training.run_files import read_metrics


def test_dry_run_stages_trains_exports_and_joins(tmp_path, capsys):
    """With the v3 recipe's classification term, as the next GPU session would train it."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        command = ["dry-run", "--work", str(tmp_path / "dry"), "--class-weight", "0.02", "--version", "3.1.0-dry"]
        command += ["--held-out-fraction", "0.1"]
        assert v2_session.main(command) == 0
    finally:
        torch.set_num_threads(previous)
    out = tmp_path / "dry" / "out"
    files = sorted(p.name for p in out.iterdir())
    assert len(files) <= 8 and all((out / name).stat().st_size <= 16 * 1024 * 1024 for name in files)
    assert {v2_session.CHECKSUMS, v2_session.RUN_ARCHIVE, v2_session.SUMMARY} <= set(files)
    summary = json.loads((out / v2_session.SUMMARY).read_text())
    result = tmp_path / "dry" / "result"
    # The plan fills a 4 s budget from measured speed, so a faster machine fits more epochs:
    # the summary must report the plan it trained, with at least one epoch of each phase.
    plan = json.loads((result / "run" / "plan.json").read_text())
    assert summary["version"] == "3.1.0-dry"
    assert plan["config"]["class_weight"] == 0.02
    assert plan["config"]["val_dir"] is None and plan["config"]["val_fraction"] == 0.1
    assert summary["epochs"] == {"l1": plan["l1_epochs"], "gan": plan["gan_epochs"]}
    assert plan["l1_epochs"] >= 1 and plan["gan_epochs"] >= 1
    assert summary["flops_per_image"]["1"] > 0 and summary["images_per_s"]["2"] > 0
    assert summary["val_subset"]["images"] == 6
    assert (result / v2_session.ARTIFACT).is_file() and (result / v2_session.L1_ARTIFACT).is_file()
    phases = [row["phase"] for row in read_metrics(result / "run" / "metrics.csv")]
    assert phases == ["1"] * plan["l1_epochs"] + ["2"] * plan["gan_epochs"]
    assert "dry run ok: 3 parts" in capsys.readouterr().out


def test_train_refuses_to_start_while_parts_are_missing(tmp_path, capsys):
    from tools.gpu_staging.parts import build_parts

    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(6):
        (photos / f"{index}.webp").write_bytes(bytes(2000))
    root = tmp_path / ".v2data"
    parts = build_parts({"train": photos}, root, 5000)
    for part in parts[1:]:
        for path in part.iterdir():
            path.unlink()
        part.rmdir()
    assert v2_session.main(["train", "--root", str(root), "--out", str(tmp_path / "out"), "--device", "cpu"]) == 3
    assert "parts missing on this machine: [2" in capsys.readouterr().err


def test_the_recipe_is_a_plain_train_config():
    from training.recipes.v2_model import RECIPE, v2_config

    config = v2_config(["a", "b"], "v", "run", l1_epochs=3, batch_size=8, device="cpu")
    assert config.data_dir == ["a", "b"] and (config.val_dir, config.out_dir) == ("v", "run")
    assert config.hints and config.gan_lr_decay_start == RECIPE["gan_lr_decay_start"] and config.data_on_device
    assert (config.l1_epochs, config.batch_size, config.device) == (3, 8, "cpu")


def test_train_takes_the_v3_recipes_fields_only_when_asked():
    parser = v2_session.build_parser()
    flags = ["--class-weight", "0.02", "--init-from", "m.safetensors", "--held-out-fraction", "0.01"]
    v3 = parser.parse_args(["train", *flags, "--version", "3.1.0"])
    expected = {"class_weight": 0.02, "init_from": "m.safetensors", "val_dir": None, "val_fraction": 0.01}
    assert v2_session._beyond_the_recipe(v3) == expected
    assert v3.version == "3.1.0"
    plain = parser.parse_args(["train"])
    assert v2_session._beyond_the_recipe(plain) == {} and plain.version == "2.0.0"
