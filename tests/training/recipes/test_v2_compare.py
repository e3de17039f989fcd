"""The recipe comparisons' subset and table (the training runs themselves are the trainer's tests)."""

from tests.training.conftest import write_photos
from training.recipes import v2_compare
from training.run_files import epoch_row, write_metrics


def test_subset_samples_both_folders_in_proportion_and_is_reproducible(tmp_path):
    data = tmp_path / "data"
    write_photos(data / "train", 6)
    write_photos(data / "train_extra", 12, start_seed=50)
    write_photos(data / "val", 5, start_seed=100, suffix=".jpg")
    first = v2_compare.make_subset(tmp_path / "a", data, train_images=9, val_images=3)
    second = v2_compare.make_subset(tmp_path / "b", data, train_images=9, val_images=3)
    names = {folder: sorted(p.name for p in (first / folder).iterdir()) for folder in ("train", "train_extra", "val")}
    assert len(names["train"]) == 3 and len(names["train_extra"]) == 6
    assert names["val"] == ["photo_000.jpg", "photo_001.jpg", "photo_002.jpg"]
    assert names == {folder: sorted(p.name for p in (second / folder).iterdir()) for folder in names}
    assert (first / "train" / names["train"][0]).resolve() == (data / "train" / names["train"][0]).resolve()


def test_table_reports_each_arms_last_epoch_of_its_phase(tmp_path, capsys):
    val = {
        "psnr": 21.0,
        "psnr_grayscale": 20.5,
        "ssim": 0.9,
        "colorfulness": 0.2,
        "colorfulness_truth": 0.4,
        "psnr_hints10": 22.0,
    }
    rows = [epoch_row(1, 1, {}, {**val, "psnr": 19.0}, 1.0, 1.0), epoch_row(2, 1, {}, val, 1.0, 1.0)]
    (tmp_path / "p1-baseline").mkdir()
    write_metrics(tmp_path / "p1-baseline" / "metrics.csv", rows)
    assert v2_compare.main(["table", "--work", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    baseline = next(line for line in lines if line.startswith("| p1-baseline"))
    assert "21.00 dB | +0.50 dB | 0.900 | 50% | +1.00 dB" in baseline
    assert any(line.startswith("| p2-lambda-50") and "not run" in line for line in lines)
