"""The v2 GPU recipe end to end on the CPU: photos -> parts -> one stage call per part -> train -> $OUT -> join.

About 30 s of CPU: the one check that the script a GPU session runs in its few
device calls works before that time is spent.
"""

import json

import torch

from training.recipes import v2_model


def test_dry_run_stages_trains_exports_and_joins(tmp_path, capsys):
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert v2_model.main(["dry-run", "--work", str(tmp_path / "dry")]) == 0
    finally:
        torch.set_num_threads(previous)
    out = tmp_path / "dry" / "out"
    files = sorted(p.name for p in out.iterdir())
    assert len(files) <= 8 and all((out / name).stat().st_size <= 16 * 1024 * 1024 for name in files)
    assert {v2_model.CHECKSUMS, v2_model.RUN_ARCHIVE, v2_model.SUMMARY} <= set(files)
    summary = json.loads((out / v2_model.SUMMARY).read_text())
    assert summary["version"] == "2.0.0" and summary["epochs"] == {"l1": 1, "gan": 1}
    assert summary["flops_per_image"]["1"] > 0 and summary["images_per_s"]["2"] > 0
    assert summary["val_subset"]["images"] == 6
    result = tmp_path / "dry" / "result"
    assert (result / v2_model.ARTIFACT).is_file() and (result / v2_model.L1_ARTIFACT).is_file()
    assert (result / "run" / "metrics.csv").is_file() and (result / "run" / "plan.json").is_file()
    assert "dry run ok: 3 parts" in capsys.readouterr().out


def test_train_refuses_to_start_while_parts_are_missing(tmp_path, capsys):
    from training.staging import build_parts

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
    assert v2_model.main(["train", "--root", str(root), "--out", str(tmp_path / "out"), "--device", "cpu"]) == 3
    assert "parts missing on this machine: [2" in capsys.readouterr().err
