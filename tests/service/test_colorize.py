"""POST /v1/colorize on good input: sizes, lightness, alpha, formats, names, headers, log line."""

from __future__ import annotations

import io
import json
import logging

import numpy as np
import pytest
from PIL import Image
from skimage import color

from inference_service.imaging import original_stem
from inference_service.request_log import JsonFormatter
from tests.conftest import make_photo
from tests.service.conftest import encode


def _lightness(image: Image.Image) -> np.ndarray:
    return color.rgb2lab(np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0)[..., 0]


def _decoded(response) -> Image.Image:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    image = Image.open(io.BytesIO(response.data))
    image.load()
    return image


def test_multipart_upload_keeps_size_and_lightness_and_adds_headers(client):
    gray = make_photo(97, 61, seed=3).convert("L")
    response = client.post("/v1/colorize", data={"image": (io.BytesIO(encode(gray, "PNG")), "old photo.png")})
    result = _decoded(response)
    assert response.mimetype == "image/png" and result.format == "PNG"
    assert result.size == gray.size and result.mode == "RGB"
    # The model only adds colour: L* of the output is the input's, up to 8-bit rounding.
    assert np.median(np.abs(_lightness(result) - _lightness(gray))) < 1.0
    assert np.abs(_lightness(result) - _lightness(gray)).max() < 5.0
    assert response.headers["Content-Disposition"] == 'inline; filename="old photo-colorized.png"'
    assert response.headers["X-Model-Name"] == "tiny-test-colorizer"
    assert response.headers["X-Model-Version"] == "0.0.1"
    assert float(response.headers["X-Inference-Ms"]) > 0
    assert response.headers["X-Render-Size"] == "64"


def test_raw_body_upload_works_and_a_colour_photo_keeps_its_own_lightness(client):
    photo = make_photo(64, 80, seed=5)
    response = client.post("/v1/colorize", data=encode(photo, "PNG"), content_type="image/png")
    result = _decoded(response)
    assert result.size == (64, 80)
    assert np.median(np.abs(_lightness(result) - _lightness(photo))) < 1.0
    assert response.headers["Content-Disposition"] == 'inline; filename="image-colorized.png"'


@pytest.mark.parametrize(
    ("requested", "pillow_format", "media_type", "extension"),
    [
        ("png", "PNG", "image/png", "png"),
        ("jpeg", "JPEG", "image/jpeg", "jpg"),
        ("JPG", "JPEG", "image/jpeg", "jpg"),
        ("webp", "WEBP", "image/webp", "webp"),
    ],
)
def test_output_formats(client, requested, pillow_format, media_type, extension):
    jpeg = encode(make_photo(50, 40).convert("L"), "JPEG")
    response = client.post(
        "/v1/colorize", query_string={"format": requested}, data={"image": (io.BytesIO(jpeg), "scan.jpeg")}
    )
    result = _decoded(response)
    assert result.format == pillow_format and response.mimetype == media_type
    assert result.size == (50, 40)
    assert response.headers["Content-Disposition"] == f'inline; filename="scan-colorized.{extension}"'


def test_quality_changes_the_lossy_encoding(client):
    png = encode(make_photo(128, 128, seed=9).convert("L"), "PNG")
    sizes = {}
    for quality in (5, 95):
        response = client.post(
            "/v1/colorize", query_string={"format": "jpeg", "quality": quality}, data=png, content_type="image/png"
        )
        assert _decoded(response).format == "JPEG"
        sizes[quality] = len(response.data)
    assert sizes[5] < sizes[95]


def test_render_size_from_the_query_or_a_form_field(client):
    jpeg = encode(make_photo(100, 70).convert("L"), "JPEG")
    from_query = client.post("/v1/colorize?render_size=128", data=jpeg, content_type="image/jpeg")
    assert from_query.headers["X-Render-Size"] == "128"
    assert _decoded(from_query).size == (100, 70)
    from_form = client.post("/v1/colorize", data={"image": (io.BytesIO(jpeg), "a.jpg"), "render_size": "96"})
    assert from_form.headers["X-Render-Size"] == "96"
    assert _decoded(from_form).size == (100, 70)


def test_blank_parameters_mean_the_defaults(client):
    jpeg = encode(make_photo(40, 40).convert("L"), "JPEG")
    response = client.post(
        "/v1/colorize", data={"image": (io.BytesIO(jpeg), "a.jpg"), "render_size": "", "format": "", "quality": ""}
    )
    assert _decoded(response).format == "PNG"
    assert response.headers["X-Render-Size"] == "64"


def test_alpha_is_kept_in_png_and_webp(client):
    rgba = make_photo(40, 30).convert("LA").convert("RGBA")
    alpha = np.tile(np.linspace(0, 255, 40).astype(np.uint8), (30, 1))
    rgba.putalpha(Image.fromarray(alpha))
    for output in ("png", "webp"):
        response = client.post(
            "/v1/colorize",
            query_string={"format": output, "quality": 100},
            data={"image": (io.BytesIO(encode(rgba, "PNG")), "logo.png")},
        )
        result = _decoded(response)
        assert result.mode == "RGBA"
        kept = np.asarray(result.getchannel("A"), dtype=np.int16)
        assert np.abs(kept - alpha).max() <= (0 if output == "png" else 8)


def test_jpeg_output_of_a_transparent_image_is_laid_on_white(client):
    transparent = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    response = client.post(
        "/v1/colorize",
        query_string={"format": "jpeg", "quality": 100},
        data=encode(transparent, "PNG"),
        content_type="image/png",
    )
    result = _decoded(response)
    assert result.mode == "RGB"
    assert np.asarray(result).min() > 240


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd.jpg", 'inline; filename="passwd-colorized.png"'),
        ("C:/Users/me/Pictures/grandma.JPG", 'inline; filename="grandma-colorized.png"'),
        ("noextension", 'inline; filename="noextension-colorized.png"'),
        ("café.png", "inline; filename=\"cafe-colorized.png\"; filename*=UTF-8''caf%C3%A9-colorized.png"),
        # A right-to-left override would display "\u202egpj.exe" as "exe.jpg": format characters are removed.
        ("\u202egpj.exe\u202d.jpg", 'inline; filename="gpj.exe-colorized.png"'),
        ("zero\u200bwidth\u2066iso\u2069.png", 'inline; filename="zerowidthiso-colorized.png"'),
    ],
)
def test_download_name_is_the_upload_stem_made_safe(client, filename, expected):
    png = encode(make_photo(32, 32).convert("L"), "PNG")
    response = client.post("/v1/colorize", data={"image": (io.BytesIO(png), filename)})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == expected


@pytest.mark.parametrize(
    ("filename", "stem"),
    [
        (None, "image"),
        ("", "image"),
        ("C:\\photos\\cat.jpg", "cat"),
        ("...", "image"),
        ("a\x00b\r\n.png", "a_b"),
        ('my"quote;.png', "my_quote"),
        ("x" * 300 + ".png", "x" * 100),
        ("\u202egpj.exe\u202d.jpg", "gpj.exe"),
        ("line\u2028sep\x85.png", "linesep"),
        ("\ufeffbom.png", "bom"),
    ],
)
def test_original_stem(filename, stem):
    assert original_stem(filename) == stem


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(JsonFormatter().format(record)))


def test_one_structured_log_line_per_request(client):
    collector = _Collect()
    request_logger = logging.getLogger("inference_service.requests")
    request_logger.addHandler(collector)
    try:
        jpeg = encode(make_photo(90, 60).convert("L"), "JPEG")
        client.post(
            "/v1/colorize?render_size=96", data=jpeg, content_type="image/jpeg", headers={"X-Request-Id": "log-me-1"}
        )
        client.post(
            "/v1/colorize", data=b"not an image", content_type="image/jpeg", headers={"X-Request-Id": "log-me-2"}
        )
    finally:
        request_logger.removeHandler(collector)
    assert [line["request_id"] for line in collector.lines] == ["log-me-1", "log-me-2"]
    good, bad = collector.lines
    assert good["status"] == 200 and good["path"] == "/v1/colorize" and good["method"] == "POST"
    assert good["input_bytes"] == len(jpeg)
    assert (good["input_width"], good["input_height"], good["render_size"]) == (90, 60, 96)
    assert good["duration_ms"] >= good["inference_ms"] > 0
    assert bad["status"] == 400 and bad["error_code"] == "invalid_image"


def _frames(format: str) -> bytes:
    """Two frames of different sizes' content: a dark first frame, a bright second one."""
    first, second = Image.new("L", (40, 30), 40), Image.new("L", (40, 30), 220)
    if format == "PNG":  # APNG
        return encode(first, "PNG", save_all=True, append_images=[second], duration=100)
    if format == "TIFF":  # multi-page
        return encode(first, "TIFF", save_all=True, append_images=[second])
    return encode(
        first.convert("RGB") if format == "WEBP" else first,
        format,
        save_all=True,
        append_images=[second.convert("RGB") if format == "WEBP" else second],
        duration=100,
        loop=0,
    )


@pytest.mark.parametrize("format", ["GIF", "WEBP", "PNG", "TIFF"])
def test_multi_frame_inputs_colorize_their_first_frame_as_documented(client, format):
    data = _frames(format)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 2
    response = client.post("/v1/colorize", data=data, content_type=f"image/{format.lower()}")
    result = _decoded(response)
    assert result.size == (40, 30) and getattr(result, "n_frames", 1) == 1
    # The first (dark) frame, not the second (bright) one: lightness is kept from the input.
    assert np.asarray(result.convert("L")).mean() < 100
