"""model.colour_input: colour photos are told from gray and toned (sepia) ones."""

import numpy as np
from PIL import Image, ImageOps

from model.colour_input import COLOUR_SPREAD_THRESHOLD, ab_spread, is_colour_photo


def _colour_photo(seed=0):
    rng = np.random.default_rng(seed)
    pixels = np.zeros((60, 90, 3), dtype=np.uint8)
    pixels[:30] = (70, 120, 200)  # sky
    pixels[30:, :45] = (60, 140, 50)  # grass
    pixels[30:, 45:] = (180, 60, 40)  # brick
    return Image.fromarray(np.clip(pixels + rng.normal(0, 4, pixels.shape), 0, 255).astype(np.uint8))


def test_a_colour_photo_is_one():
    photo = _colour_photo()
    assert ab_spread(photo) > 3 * COLOUR_SPREAD_THRESHOLD
    assert is_colour_photo(photo)


def test_gray_photos_are_not_whatever_their_mode():
    gray = _colour_photo().convert("L")
    assert not is_colour_photo(gray)
    assert ab_spread(gray) == 0.0
    assert ab_spread(gray.convert("RGB")) < 0.1


def test_a_sepia_print_has_one_tint_and_is_not_a_colour_photo():
    sepia = ImageOps.colorize(_colour_photo().convert("L"), "#2b1d0e", "#f3e3c3")
    assert not is_colour_photo(sepia)
