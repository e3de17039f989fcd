"""The model card's gallery (training.gallery): photos shipped inside packages, one column per model."""

import numpy as np
from PIL import Image

from training.gallery import gallery_photos, main


def test_the_gallery_holds_black_and_white_originals_and_colour_photos_from_packages():
    photos = gallery_photos()
    originals = [photo for _, photo, is_bw in photos if is_bw]
    colour = [photo for _, photo, is_bw in photos if not is_bw]
    assert len(originals) >= 3 and all(photo.mode == "L" for photo in originals)
    assert len(colour) >= 5 and all(photo.mode == "RGB" for photo in colour)


def test_the_gallery_picture_has_a_column_per_model(tiny_artifact, tmp_path):
    one, two = tmp_path / "one.png", tmp_path / "two.png"
    assert main(["--artifact", str(tiny_artifact), "--label", "tiny", "--out", str(one), "--render-size", "32"]) == 0
    main(["--artifact", str(tiny_artifact), str(tiny_artifact), "--out", str(two), "--render-size", "32"])
    with Image.open(one) as first, Image.open(two) as second:
        assert second.width > first.width and second.height == first.height
        assert np.asarray(first.convert("L")).std() > 10  # photos, not a blank page


def test_further_photos_become_rows(tiny_artifact, tmp_path):
    portrait = tmp_path / "portrait.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (48, 40, 3), dtype=np.uint8)).save(portrait)
    assert gallery_photos((portrait,))[-1][0] == "portrait"
    base, more = tmp_path / "base.png", tmp_path / "more.png"
    main(["--artifact", str(tiny_artifact), "--out", str(base), "--render-size", "32"])
    main(["--artifact", str(tiny_artifact), "--out", str(more), "--render-size", "32", "--photo", str(portrait)])
    with Image.open(base) as first, Image.open(more) as second:
        assert second.height > first.height and second.width == first.width
