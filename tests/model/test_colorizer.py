import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import color

from model.artifact import load_artifact
from model.colorizer import Colorizer
from model.generator import expand_input_channels
from model.hints import HINT_INPUT_CHANNELS, MAX_HINTS, Hint, HintsUnsupportedError
from model.preprocessing import lightness_of, render_shape
from model.torch_backend import TorchBackend
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
    images = [
        make_photo(64, 48, seed=1).convert("L"),
        make_photo(30, 90, seed=2).convert("L"),
        make_photo(64, 48, seed=3),
    ]
    batched = colorizer.colorize_batch(images)
    for image, result in zip(images, batched, strict=False):
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


# --- colour hints and vibrance ------------------------------------------------------------

V1_ARTIFACT = Path(__file__).resolve().parents[2] / "model" / "weights" / "colorizer-default.safetensors"


@pytest.fixture(scope="module")
def hint_colorizer(tiny_artifact):
    """The tiny model with zero-initialised hint inputs (it colours exactly as before)."""
    torch.set_num_threads(1)
    generator, metadata = load_artifact(tiny_artifact)
    expanded = expand_input_channels(generator, HINT_INPUT_CHANNELS)
    return Colorizer(TorchBackend(expanded, replace(metadata, generator=expanded.config)))


def test_vibrance_zero_gives_the_grayscale_image_and_one_the_models_colours(colorizer):
    photo = make_photo(48, 40)
    plain = np.asarray(colorizer.colorize(photo))
    assert np.array_equal(np.asarray(colorizer.colorize(photo, vibrance=1.0)), plain)
    gray = np.asarray(colorizer.colorize(photo, vibrance=0.0), dtype=np.int16)
    assert np.abs(gray[..., 0] - gray[..., 1]).max() <= 1 and np.abs(gray[..., 1] - gray[..., 2]).max() <= 1
    assert np.abs(_lab_l(Image.fromarray(gray.astype(np.uint8))) - _lab_l(photo)).max() < 1.0


def test_vibrance_scales_the_chroma(colorizer):
    photo = make_photo(48, 40)
    chroma = {}
    for vibrance in (0.5, 1.0, 1.5):
        lab = color.rgb2lab(np.asarray(colorizer.colorize(photo, vibrance=vibrance)) / 255.0)
        chroma[vibrance] = np.hypot(lab[..., 1], lab[..., 2]).mean()
    assert chroma[0.5] < chroma[1.0] < chroma[1.5]
    assert chroma[0.5] == pytest.approx(chroma[1.0] / 2, rel=0.1)


@pytest.mark.parametrize("vibrance", [-0.1, 2.01, float("nan")])
def test_vibrance_outside_zero_to_two_is_refused(colorizer, vibrance):
    with pytest.raises(ValueError, match="vibrance"):
        colorizer.colorize(make_photo(16, 16), vibrance=vibrance)


def test_a_one_channel_model_refuses_hints_and_still_colours_without(colorizer):
    assert not colorizer.supports_hints and colorizer.max_hints == 0
    with pytest.raises(HintsUnsupportedError):
        colorizer.colorize(make_photo(32, 32), hints=[Hint(0.5, 0.5, (255, 0, 0))])
    assert colorizer.colorize(make_photo(32, 32), hints=[]).size == (32, 32)


def test_zero_initialised_hint_model_equals_v1_without_hints():
    """The shipped 1-channel model, expanded to take hints: identical output without them."""
    generator, metadata = load_artifact(V1_ARTIFACT)
    v1 = Colorizer(TorchBackend(generator, metadata))
    expanded = expand_input_channels(generator, HINT_INPUT_CHANNELS)
    with_hints = Colorizer(TorchBackend(expanded, replace(metadata, generator=expanded.config)))
    assert with_hints.supports_hints and with_hints.max_hints == MAX_HINTS
    photo = make_photo(96, 64, seed=5).convert("L")
    assert np.array_equal(
        np.asarray(v1.colorize(photo, render_size=64)), np.asarray(with_hints.colorize(photo, render_size=64))
    )


def test_a_hint_recolours_the_region_around_it(hint_colorizer):
    photo = Image.fromarray(np.full((64, 96), 128, dtype=np.uint8))  # one flat grey region
    plain = color.rgb2lab(np.asarray(hint_colorizer.colorize(photo)) / 255.0)
    red = color.rgb2lab(np.asarray(hint_colorizer.colorize(photo, hints=[Hint(0.25, 0.5, (200, 30, 30))])) / 255.0)
    assert red[32, 24, 1] > plain[32, 24, 1] + 30  # at the pin: strongly red (a* up)
    assert red[32, 40, 1] > plain[32, 40, 1] + 5  # the flat region follows
    without_propagation = Colorizer(hint_colorizer.backend, propagation=None)
    # The tiny model never learned hints: without propagation the pin changes nothing.
    unchanged = np.asarray(without_propagation.colorize(photo, hints=[Hint(0.25, 0.5, (200, 30, 30))]))
    assert np.array_equal(unchanged, np.asarray(hint_colorizer.colorize(photo)))


def test_a_small_reach_pin_changes_less_of_the_photo_than_a_whole_region_one(hint_colorizer):
    photo = Image.fromarray(np.full((64, 96), 128, dtype=np.uint8))  # one flat region: only reach stops the colour
    plain = color.rgb2lab(np.asarray(hint_colorizer.colorize(photo)) / 255.0)

    def changed(reach: str) -> int:
        pinned = hint_colorizer.colorize(photo, hints=[Hint(0.25, 0.5, (200, 30, 30), reach)])
        lab = color.rgb2lab(np.asarray(pinned) / 255.0)
        return int((np.hypot(*(lab[..., 1:] - plain[..., 1:]).transpose(2, 0, 1)) > 3).sum())

    small, medium, whole = changed("small"), changed("medium"), changed("whole")
    assert 0 < small < medium < whole


def test_pins_of_different_reaches_each_hold_their_colour(hint_colorizer):
    photo = Image.fromarray(np.full((64, 96), 128, dtype=np.uint8))
    hints = [Hint(0.2, 0.5, (200, 30, 30), "whole"), Hint(0.8, 0.5, (30, 60, 200), "small")]
    lab = color.rgb2lab(np.asarray(hint_colorizer.colorize(photo, hints=hints)) / 255.0)
    assert lab[32, 19, 1] > 20  # the red one, wide
    assert lab[32, 76, 2] < -20  # the blue one, small, on top of the red spread


def test_hints_follow_exif_orientation(hint_colorizer):
    upright = Image.fromarray(np.full((40, 60), 128, dtype=np.uint8))
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 8
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", exif=exif.tobytes(), quality=95)
    result = hint_colorizer.colorize(Image.open(io.BytesIO(buffer.getvalue())), hints=[Hint(0.9, 0.1, (30, 30, 220))])
    lab = color.rgb2lab(np.asarray(result) / 255.0)
    assert result.size == (60, 40)
    assert lab[4, 54, 2] < lab[36, 5, 2] - 10  # blue (b* down) near the top right, as the viewer sees it


def test_batched_hints_go_to_their_own_image(hint_colorizer):
    images = [Image.fromarray(np.full((32, 32), 128, dtype=np.uint8))] * 2
    first, second = hint_colorizer.colorize_batch(images, hints=[[Hint(0.5, 0.5, (200, 30, 30))], []])
    assert (
        color.rgb2lab(np.asarray(first) / 255.0)[16, 16, 1] > color.rgb2lab(np.asarray(second) / 255.0)[16, 16, 1] + 30
    )
    with pytest.raises(ValueError, match="one sequence per image"):
        hint_colorizer.colorize_batch(images, hints=[[]])


def test_a_chroma_gain_yields_where_the_pins_reach(hint_colorizer):
    """A model decoding with a gain: its pins are placed on the colour as trained, and the
    gain stays only where they do not reach (across an edge here)."""
    metadata = hint_colorizer.metadata
    gained = Colorizer(
        TorchBackend(
            hint_colorizer.backend.generator,
            replace(metadata, generator=replace(metadata.generator, chroma_gain=1.5)),
        )
    )
    lightness = np.full((64, 96), 30.0, dtype=np.float32)
    lightness[:, 48:] = 70.0  # one strong edge down the middle
    trained = np.random.default_rng(3).normal(0.0, 10.0, size=(2, 64, 96)).astype(np.float32)
    pin = [Hint(0.25, 0.5, (200, 30, 30))]
    plain = hint_colorizer.spread_hints(lightness, trained, pin)
    steered = gained.spread_hints(lightness, trained * 1.5, pin)
    # Around the pin: within a few percent of what the model without the gain gives (the
    # pin's colour, not 1.5 x it; the gain's share fades as the pin's presence grows).
    near = (slice(None), slice(28, 36), slice(20, 28))
    excess = np.abs(steered[near] - plain[near]).mean() / np.abs(plain[near]).mean()
    assert excess < 0.1
    # Across the edge, out of the pin's reach: the gained colour.
    assert np.allclose(steered[:, :, 60:], trained[:, :, 60:] * 1.5, atol=1.5)
    # Without pins the gained colour is left as the network gave it.
    assert np.array_equal(gained.spread_hints(lightness, trained * 1.5, []), trained * 1.5)
