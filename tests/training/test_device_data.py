"""training.device_data: photos decoded once, checked like the scan, cropped and flipped on the device."""

from collections import Counter
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from tests.conftest import make_photo
from tests.training.conftest import write_photos
from training.data import CROP_RATIO, CROP_SCALE, list_images, scan_folder
from training.device_data import DevicePhotos, decode_photos, device_batches, epoch_transforms


def test_decoding_skips_what_the_scan_skips_and_keeps_centre_squares(tmp_path):
    folder = write_photos(tmp_path / "mixed", 3, size=40)
    make_photo(90, 60, seed=7).save(folder / "wide.png")
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    make_photo(64, 64).convert("L").save(folder / "gray.png")
    make_photo(20, 20).save(folder / "tiny.png")
    decoded = decode_photos(list_images(folder), size=30, min_side=32, workers=2, progress=False)
    scanned = scan_folder(folder, min_side=32, workers=2)
    assert decoded.files == scanned.files
    assert decoded.skipped == scanned.skipped == {"undecodable": 1, "grayscale": 1, "too small": 1}
    assert decoded.pixels.shape == (4, 30, 30, 3) and decoded.pixels.dtype == np.uint8
    wide = decoded.pixels[decoded.files.index(folder / "wide.png")]
    expected = np.asarray(
        Image.open(folder / "wide.png").convert("RGB").crop((15, 0, 75, 60)).resize((30, 30), Image.Resampling.BILINEAR)
    )
    assert np.abs(wide.astype(int) - expected.astype(int)).max() <= 2


def test_epoch_transforms_are_seeded_per_epoch_and_stay_in_the_crop_ranges():
    first = epoch_transforms(2000, seed=3, epoch=0)
    assert torch.equal(first, epoch_transforms(2000, seed=3, epoch=0))
    assert not torch.equal(first, epoch_transforms(2000, seed=3, epoch=1))
    assert not torch.equal(first, epoch_transforms(2000, seed=4, epoch=0))
    width, height = first[:, 0, 0].abs(), first[:, 1, 1]
    area, ratio = width * height, width / height
    assert area.min() >= CROP_SCALE[0] - 1e-6 and area.max() <= CROP_SCALE[1] + 1e-6
    assert ratio.min() >= CROP_RATIO[0] - 1e-6 and ratio.max() <= CROP_RATIO[1] + 1e-6
    # The crop stays inside the square: centre +- half side within [-1, 1].
    assert (first[:, 0, 2].abs() + width).max() <= 1 + 1e-6 and (first[:, 1, 2].abs() + height).max() <= 1 + 1e-6
    flipped = (first[:, 0, 0] < 0).float().mean().item()
    assert 0.45 < flipped < 0.55
    assert first[:, 0, 1].abs().max() == 0 and first[:, 1, 0].abs().max() == 0


def _photos(pixels: np.ndarray) -> DevicePhotos:
    from training.device_data import DecodedPhotos

    return DevicePhotos(
        DecodedPhotos(pixels, [Path(f"{i}.png") for i in range(len(pixels))], Counter()), torch.device("cpu")
    )


def test_identity_flip_and_crop_transforms_sample_the_right_pixels():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    photos = _photos(pixels)
    indices = torch.tensor([2, 0])
    photos._epoch = 0
    photos._theta = torch.tensor([[[1.0, 0, 0], [0, 1, 0]]] * 3)
    expected = torch.from_numpy(pixels[[2, 0]]).permute(0, 3, 1, 2).float() / 255
    torch.testing.assert_close(photos.augmented(indices, epoch=0), expected)
    photos._theta = torch.tensor([[[-1.0, 0, 0], [0, 1, 0]]] * 3)
    torch.testing.assert_close(photos.augmented(indices, epoch=0), expected.flip(-1))
    # The top-left quarter (half the side, centred at -0.5, -0.5) blown up to the whole square:
    # bilinear 2x upsampling of it (the last row and column also read the pixels beyond it).
    photos._theta = torch.tensor([[[0.5, 0, -0.5], [0, 0.5, -0.5]]] * 3)
    quarter = photos.augmented(indices, epoch=0)
    upsampled = torch.nn.functional.interpolate(
        expected[..., :8, :8], scale_factor=2, mode="bilinear", align_corners=False
    )
    torch.testing.assert_close(quarter[..., :15, :15], upsampled[..., :15, :15])


def test_augmented_batches_are_reproducible_and_match_the_gathered_photos_at_full_crop():
    pixels = np.stack([np.asarray(make_photo(24, 24, seed=s)) for s in range(6)])
    photos = _photos(pixels)
    batches = device_batches([5, 1, 3, 0, 2, 4, 1], batch_size=3, device=torch.device("cpu"))
    assert [b.tolist() for b in batches] == [[5, 1, 3], [0, 2, 4]]  # whole batches only
    first = photos.augmented(batches[0], epoch=2)
    assert first.shape == (3, 3, 24, 24) and first.dtype == torch.float32
    assert first.min() >= 0 and first.max() <= 1
    assert torch.equal(first, _photos(pixels).augmented(batches[0], epoch=2))
    assert not torch.equal(first, photos.augmented(batches[0], epoch=3))
    assert torch.equal(photos.gather(batches[1]), torch.from_numpy(pixels[[0, 2, 4]]).permute(0, 3, 1, 2).float() / 255)
