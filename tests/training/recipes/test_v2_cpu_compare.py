"""The CPU recipe's comparisons: arms that branch from one checkpoint of a (tiny, real) run."""

from tests.training.conftest import tiny_config
from training.checkpoint import load_checkpoint
from training.recipes import v2_cpu_compare
from training.run_files import read_metrics
from training.trainer import train


def test_arms_resume_the_base_with_one_change_each_and_the_table_shows_them(photo_folders, tmp_path, capsys):
    train_dir, val_dir = photo_folders
    base_run = tmp_path / "base"
    config = tiny_config(
        train_dir,
        val_dir,
        base_run,
        l1_epochs=1,
        gan_epochs=0,
        image_size=48,
        small_image_size=32,  # the 70x70 PatchGAN needs at least 32 px
        small_image_epochs=1,
    )
    train(config)
    base = base_run / "last.pt"
    work = tmp_path / "arms"
    arms = ["gan-128", "l1-256"]
    assert v2_cpu_compare.main(["run", "--base", str(base), "--work", str(work), "--images", "8", "--only", *arms]) == 0
    for name in arms:
        rows = read_metrics(work / name / "metrics.csv")
        assert [int(row["epoch"]) for row in rows] == [2]
        assert int(rows[0]["phase"]) == (2 if name.startswith("gan") else 1)
        assert load_checkpoint(work / name / "last.pt")["config"]["decoder_channels"] == config.decoder_channels
    # A rerun skips what is done.
    assert v2_cpu_compare.main(["run", "--base", str(base), "--work", str(work), "--only", "l1-256"]) == 0
    assert "done already" in capsys.readouterr().out
    v2_cpu_compare.main(["table", "--work", str(work)])
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("| gan-128 |") and " dB |" in line for line in lines)
    assert any(line.startswith("| perceptual-128 |") and "not run" in line for line in lines)
