import io

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import color

from model.colorizer import Colorizer
from model.preprocessing import lightness_of, render_shape
from tests.conftest import make_photo


@pytest.fixture(scope="module")
def colorizer(tiny_artifact):
    torch.set_num_threads(1)
    return Colorizer.load(tiny_artifact, device="cpu")


def _lab_l(image: Image.Image) -> np.ndarray:
    return color.rgb2lab(np.asarray(image.convert("RGB")) / 255.0)[..., 0]


def test_output_keeps_size_and_lightness_of_a_grayscale_input(colorizer):
    gray = make_photo(83, 61).convert("L")
    result = colorizer.colorize(gray)
    assert result.size == gray.size and result.mode == "RGB"
    expected_l = color.rgb2lab(np.repeat(np.asarray(gray)[..., None], 3, axis=-1) / 255.0)[..., 0]
    # Output is quantised to 8 bits and clipped at the gamut edge, so allow a little.
    assert np.median(np.abs(_lab_l(result) - expected_l)) < 1.0


def test_colour_input_is_recolorized_from_its_own_lightness(colorizer):
    photo = make_photo(64, 64)
    from_colour = np.asarray(colorizer.colorize(photo), dtype=np.int16)
    expected_l = color.rgb2lab(np.asarray(photo) / 255.0)[..., 0]
    assert np.median(np.abs(_lab_l(Image.fromarray(from_colour.astype(np.uint8))) - expected_l)) < 1.0


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "P", "CMYK", "I;16", "I", "1", "YCbCr"])
def test_every_common_mode_is_accepted(colorizer, mode):
    base = make_photo(40, 30)
    if mode == "I;16":
        image = Image.fromarray(np.asarray(base.convert("L"), dtype=np.uint16) * 257)
        assert image.mode == "I;16"
    elif mode == "I":
        image = base.convert("L").convert("I")
    else:
        image = base.convert(mode)
    result = colorizer.colorize(image)
    assert result.size == (40, 30)
    assert result.mode == ("RGBA" if mode in ("LA", "RGBA") else "RGB")


def test_alpha_is_kept(colorizer):
    image = make_photo(32, 32).convert("RGBA")
    alpha = np.tile(np.arange(32, dtype=np.uint8) * 8, (32, 1))
    image.putalpha(Image.fromarray(alpha))
    result = colorizer.colorize(image)
    assert result.mode == "RGBA"
    assert np.array_equal(np.asarray(result.getchannel("A")), alpha)


def test_palette_transparency_becomes_alpha(colorizer):
    image = make_photo(32, 32).convert("P")
    image.info["transparency"] = 0
    assert colorizer.colorize(image).mode == "RGBA"


def test_exif_orientation_is_applied(colorizer):
    upright = make_photo(60, 40).convert("L")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # 40x60 on disk
    exif = Image.Exif()
    exif[0x0112] = 8  # rotate 90 CW to view = undo the stored ROTATE_90
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", exif=exif.tobytes(), quality=95)
    result = colorizer.colorize(Image.open(io.BytesIO(buffer.getvalue())))
    assert result.size == (60, 40)


def test_batch_equals_one_by_one(colorizer):
    images = [make_photo(64, 48, seed=1).convert("L"), make_photo(30, 90, seed=2).convert("L"), make_photo(64, 48, seed=3)]
    batched = colorizer.colorize_batch(images)
    for image, result in zip(images, batched):
        single = colorizer.colorize(image)
        assert np.abs(np.asarray(single, dtype=np.int16) - np.asarray(result, dtype=np.int16)).max() <= 1


def test_render_size_changes_what_the_network_sees(colorizer):
    image = make_photo(128, 96).convert("L")
    assert colorizer.colorize(image, render_size=32).size == image.size
    with pytest.raises(ValueError, match="render_size"):
        colorizer.colorize(image, render_size=4)


@pytest.mark.parametrize(
    "height,width,size,expected",
    [(3000, 4000, 256, (256, 352)), (256, 256, 256, (256, 256)), (10, 10, 64, (64, 64)), (100, 10000, 256, (32, 1024))],
)
def test_render_shape_keeps_aspect_in_multiples_of_32(height, width, size, expected):
    assert render_shape(height, width, size) == expected


def test_lightness_of_gray_matches_skimage():
    gray = make_photo(50, 40).convert("L")
    expected = color.rgb2lab(np.repeat(np.asarray(gray)[..., None], 3, axis=-1) / 255.0)[..., 0]
    assert np.abs(lightness_of(gray) - expected).max() < 0.1
    photo = make_photo(50, 40)
    expected = color.rgb2lab(np.asarray(photo) / 255.0)[..., 0]
    assert np.abs(lightness_of(photo) - expected).max() < 0.1


@pytest.mark.parametrize("width,height", [(33, 517), (1, 1), (517, 33), (2, 3)])
def test_odd_and_tiny_sizes_keep_their_size(colorizer, width, height):
    gray = make_photo(width, height).convert("L")
    result = colorizer.colorize(gray)
    assert result.size == (width, height)
    # Colours pushed out of the sRGB gamut are clipped, which can shift L a little there.
    assert np.median(np.abs(_lab_l(result) - _lab_l(gray))) < 1.0
