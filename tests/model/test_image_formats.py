"""Image files read and written (model.image_formats): one list for the CLI, training and the service."""

import io

import pytest
from PIL import Image

from model.image_formats import IMAGE_SUFFIXES, OUTPUT_FORMATS, encode_image, output_format


def test_aliases_and_unknown_names():
    assert output_format("jpg") is OUTPUT_FORMATS["jpeg"] and output_format("png").media_type == "image/png"
    with pytest.raises(KeyError):
        output_format("gif")


@pytest.mark.parametrize("name", list(OUTPUT_FORMATS))
def test_each_format_encodes_what_it_says(name):
    image = Image.new("RGBA", (8, 6), (200, 30, 30, 0))  # fully transparent red
    output = OUTPUT_FORMATS[name]
    with Image.open(io.BytesIO(encode_image(image, output, quality=95))) as decoded:
        assert decoded.format == output.pillow_format and decoded.size == (8, 6)
        if name == "jpeg":  # no alpha in JPEG: transparent areas become white, as a viewer shows them
            assert decoded.mode == "RGB" and min(decoded.tobytes()) > 240


def test_png_compression_changes_the_bytes_not_the_pixels():
    image = Image.effect_noise((64, 64), 40).convert("RGB")
    fast = encode_image(image, OUTPUT_FORMATS["png"], png_compress_level=1)
    small = encode_image(image, OUTPUT_FORMATS["png"], png_compress_level=9)
    assert small != fast  # the level reaches the encoder
    assert Image.open(io.BytesIO(fast)).tobytes() == Image.open(io.BytesIO(small)).tobytes()


def test_training_and_the_cli_find_the_same_images():
    from colorizer_cli import batch_io
    from training import data

    assert {".jpg", ".png", ".gif", ".tiff"} <= IMAGE_SUFFIXES
    assert data.IMAGE_SUFFIXES is IMAGE_SUFFIXES and batch_io.IMAGE_SUFFIXES is IMAGE_SUFFIXES
