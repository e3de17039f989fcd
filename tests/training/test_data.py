import torch
from PIL import Image

from tests.conftest import make_photo
from tests.training.conftest import write_photos
from training.data import PhotoDataset, scan_folder, split_validation


def test_bad_files_are_skipped_and_counted(tmp_path):
    folder = write_photos(tmp_path / "mixed", 3)
    good_jpeg = folder / "good.jpg"
    make_photo(64, 64, seed=9).save(good_jpeg, quality=90)
    (folder / "truncated.jpg").write_bytes(good_jpeg.read_bytes()[:200])
    (folder / "notes.png").write_text("this is not an image")
    (folder / "empty.webp").write_bytes(b"")
    make_photo(64, 64).convert("L").save(folder / "gray.png")
    make_photo(64, 64).convert("L").convert("RGB").save(folder / "gray_as_rgb.jpg")
    make_photo(20, 20).save(folder / "tiny.png")
    (folder / "readme.txt").write_text("ignored: not an image suffix")
    result = scan_folder(folder, min_side=32, workers=2)
    assert sorted(p.name for p in result.files) == ["good.jpg", "photo_000.png", "photo_001.png", "photo_002.png"]
    assert result.skipped == {"undecodable": 3, "grayscale": 2, "too small": 1}
    assert "4 usable" in result.describe() and "3 undecodable" in result.describe()


def test_train_crops_are_reproducible_per_epoch_and_vary_across_epochs(tmp_path):
    folder = write_photos(tmp_path / "photos", 2, size=80)
    files = sorted(folder.iterdir())
    dataset = PhotoDataset(files, image_size=32, train=True, seed=3)
    first = dataset[0]
    assert first.shape == (3, 32, 32) and first.dtype == torch.uint8
    assert torch.equal(first, dataset[0])
    dataset.set_epoch(1)
    assert not torch.equal(first, dataset[0])


def test_validation_crop_is_deterministic_centre(tmp_path):
    folder = tmp_path / "v"
    folder.mkdir()
    make_photo(90, 60).save(folder / "a.png")
    dataset = PhotoDataset([folder / "a.png"], image_size=30, train=False)
    expected = (
        Image.open(folder / "a.png").convert("RGB").crop((15, 0, 75, 60)).resize((30, 30), Image.Resampling.BILINEAR)
    )
    difference = (dataset[0].permute(1, 2, 0).int() - torch.from_numpy(__import__("numpy").array(expected)).int()).abs()
    assert difference.max() <= 2


def test_split_validation_is_deterministic_and_disjoint(tmp_path):
    files = [tmp_path / f"{i}.png" for i in range(20)]
    train, val = split_validation(files, 0.25, seed=1)
    assert len(val) == 5 and not set(train) & set(val)
    assert split_validation(files, 0.25, seed=1) == (train, val)
