"""The bad-input corpus: files and requests users (and attackers) really send, generated here.

Each case gets its documented status and JSON error code (or 200 for the odd but
valid images a user may upload), and the service still colorizes a good image
right after it.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from PIL import Image, features

from tests.conftest import make_photo
from tests.service.conftest import SMALL_UPLOAD_LIMIT, encode, error_of

# --- generated files ------------------------------------------------------------------------


def _photo_jpeg() -> bytes:
    return encode(make_photo(96, 64, seed=1).convert("L"), "JPEG", quality=90)


def _photo_png() -> bytes:
    return encode(make_photo(96, 64, seed=2), "PNG")


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height over a few bytes of (broken) pixel data.

    Were the pixels decoded, the broken data would give invalid_image; the size
    check must answer image_too_large before that.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)[:-4])
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A real small JPEG with its frame header (SOF0) rewritten to claim width x height."""
    data = bytearray(_photo_jpeg())
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def _gif_declaring(width: int, height: int) -> bytes:
    data = bytearray(encode(make_photo(8, 8).convert("P"), "GIF"))
    struct.pack_into("<HH", data, 6, width, height)  # logical screen
    image_descriptor = data.index(b"\x2c")
    struct.pack_into("<HH", data, image_descriptor + 5, width, height)
    return bytes(data)


def _bmp_declaring(width: int, height: int) -> bytes:
    data = bytearray(encode(make_photo(8, 8), "BMP"))
    struct.pack_into("<ii", data, 18, width, height)
    return bytes(data)


def _corrupt_png() -> bytes:
    """A PNG whose compressed pixel data is scrambled (CRCs fixed so only the data is wrong)."""
    png = _photo_png()
    start = png.index(b"IDAT") + 4
    length = struct.unpack(">I", png[start - 8 : start - 4])[0]
    scrambled = bytes(b ^ 0x5A for b in png[start : start + length])
    return png[: start - 8] + _png_chunk(b"IDAT", scrambled) + png[start + length + 4 :]


def _animated_gif() -> bytes:
    frames = [make_photo(40, 30, seed=s).convert("P") for s in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def _png16() -> bytes:
    gray = np.asarray(make_photo(40, 30).convert("L"), dtype=np.uint16) * 257
    image = Image.fromarray(gray)
    assert image.mode == "I;16"
    return encode(image, "PNG")


def _cmyk_jpeg() -> bytes:
    return encode(make_photo(40, 30).convert("CMYK"), "JPEG")


def _palette_png_with_transparency() -> bytes:
    image = make_photo(40, 30).convert("P")
    return encode(image, "PNG", transparency=0)


def _exif_rotated_jpeg() -> bytes:
    stored = make_photo(60, 40).convert("L").transpose(Image.Transpose.ROTATE_90)  # 40x60 on disk
    exif = Image.Exif()
    exif[0x0112] = 8  # viewed upright as 60x40
    return encode(stored, "JPEG", exif=exif.tobytes())


def _webp_with_alpha() -> bytes:
    image = make_photo(40, 30).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((40, 30)))
    return encode(image, "WEBP")


def _mpo() -> bytes:
    """A multi-picture JPEG, as many phone cameras write (stereo or depth frames)."""
    frames = [make_photo(40, 30, seed=s).convert("L") for s in range(2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="MPO", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    return buffer.getvalue()


def _icon() -> bytes:
    return encode(make_photo(32, 32), "ICO")


# --- the corpus -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request: a multipart file (filename, bytes) or a raw body with its Content-Type."""

    name: str
    status: int
    code: str | None = None  # the JSON error code; None for a 200
    raw: Callable[[], bytes] | None = None
    content_type: str | None = None
    file: Callable[[], tuple[str, bytes]] | None = None
    form: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    size: tuple[int, int] | None = None  # the expected output size for a 200
    mode: str = "RGB"  # the expected output mode for a 200

    def send(self, client):
        if self.file is not None or self.form:
            body = dict(self.form)
            if self.file is not None:
                filename, data = self.file()
                body["image"] = (io.BytesIO(data), filename)
            return client.post("/v1/colorize", query_string=self.query, data=body, content_type="multipart/form-data")
        data = self.raw() if self.raw else b""
        return client.post("/v1/colorize", query_string=self.query, data=data, content_type=self.content_type)


def _text() -> bytes:
    return b"Dear diary, this is plain text and certainly not a photo.\n" * 5


OVERSIZED = SMALL_UPLOAD_LIMIT + 1

CORPUS = [
    # Nothing, or not an image at all.
    Case("zero-byte file", 400, "invalid_image", file=lambda: ("empty.jpg", b"")),
    Case("zero-byte raw body", 400, "invalid_image", raw=lambda: b"", content_type="image/jpeg"),
    Case("plain text named .jpg", 400, "invalid_image", file=lambda: ("notes.jpg", _text())),
    Case("plain text sent as image/png", 400, "invalid_image", raw=_text, content_type="image/png"),
    Case("html named .png", 400, "invalid_image", file=lambda: ("page.png", b"<!doctype html><html></html>")),
    Case(
        "svg",
        400,
        "invalid_image",
        raw=lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>',
        content_type="image/svg+xml",
    ),
    Case("icon (a format not offered)", 400, "invalid_image", file=lambda: ("favicon.ico", _icon())),
    Case("truncated jpeg", 400, "invalid_image", file=lambda: ("half.jpg", _photo_jpeg()[: len(_photo_jpeg()) // 2])),
    Case("jpeg header only", 400, "invalid_image", file=lambda: ("head.jpg", _photo_jpeg()[:200])),
    Case("truncated png", 400, "invalid_image", file=lambda: ("half.png", _photo_png()[: len(_photo_png()) // 2])),
    Case("png with scrambled pixel data", 400, "invalid_image", file=lambda: ("bad.png", _corrupt_png())),
    Case(
        "random bytes",
        400,
        "invalid_image",
        raw=lambda: np.random.default_rng(0).bytes(5000),
        content_type="image/jpeg",
    ),
    # Too many pixels: refused from the header, before decoding.
    Case("png declaring 40000x40000", 422, "image_too_large", file=lambda: ("bomb.png", _png_declaring(40000, 40000))),
    Case("png declaring 1x60000000", 422, "image_too_large", file=lambda: ("line.png", _png_declaring(1, 60_000_000))),
    Case("jpeg declaring 8000x7000", 422, "image_too_large", file=lambda: ("big.jpg", _jpeg_declaring(8000, 7000))),
    Case("gif declaring 65535x65535", 422, "image_too_large", file=lambda: ("big.gif", _gif_declaring(65535, 65535))),
    Case("bmp declaring 30000x30000", 422, "image_too_large", file=lambda: ("big.bmp", _bmp_declaring(30000, 30000))),
    # No image in the request.
    Case("no body at all", 400, "missing_image"),
    Case("multipart without the image field", 400, "missing_image", form={"render_size": "128"}),
    Case("image field sent as text", 400, "missing_image", form={"image": "photo.jpg"}),
    Case("empty file input from a browser form", 400, "missing_image", file=lambda: ("", b"")),
    # Wrong Content-Type.
    Case("jpeg sent as text/plain", 415, "unsupported_media_type", raw=_photo_jpeg, content_type="text/plain"),
    Case("json body", 415, "unsupported_media_type", raw=lambda: b'{"image": "x"}', content_type="application/json"),
    Case(
        "url-encoded form",
        415,
        "unsupported_media_type",
        raw=lambda: b"image=abc",
        content_type="application/x-www-form-urlencoded",
    ),
    Case("octet-stream", 415, "unsupported_media_type", raw=_photo_jpeg, content_type="application/octet-stream"),
    Case("body without a Content-Type", 415, "unsupported_media_type", raw=_photo_jpeg, content_type=""),
    # Too many bytes.
    Case("oversized raw body", 413, "payload_too_large", raw=lambda: b"\xff" * OVERSIZED, content_type="image/jpeg"),
    Case(
        "far oversized raw body",
        413,
        "payload_too_large",
        raw=lambda: b"\xff" * (3 * OVERSIZED),
        content_type="image/png",
    ),
    Case("oversized multipart file", 413, "payload_too_large", file=lambda: ("huge.jpg", b"\xff" * OVERSIZED)),
    # Every parameter out of range or malformed.
    Case(
        "render_size below 64",
        422,
        "invalid_parameter",
        raw=_photo_jpeg,
        content_type="image/jpeg",
        query={"render_size": "63"},
    ),
    Case(
        "render_size above 1024",
        422,
        "invalid_parameter",
        raw=_photo_jpeg,
        content_type="image/jpeg",
        query={"render_size": "1025"},
    ),
    Case(
        "render_size negative",
        422,
        "invalid_parameter",
        raw=_photo_jpeg,
        content_type="image/jpeg",
        query={"render_size": "-256"},
    ),
    Case(
        "render_size not a number",
        422,
        "invalid_parameter",
        raw=_photo_jpeg,
        content_type="image/jpeg",
        query={"render_size": "big"},
    ),
    Case(
        "render_size fractional",
        422,
        "invalid_parameter",
        raw=_photo_jpeg,
        content_type="image/jpeg",
        query={"render_size": "128.5"},
    ),
    Case(
        "render_size enormous",
        422,
        "invalid_parameter",
        raw=_photo_jpeg,
        content_type="image/jpeg",
        query={"render_size": "9" * 40},
    ),
    Case(
        "render_size in a form field, out of range",
        422,
        "invalid_parameter",
        file=lambda: ("a.jpg", _photo_jpeg()),
        form={"render_size": "4096"},
    ),
    Case(
        "render_size given twice",
        422,
        "invalid_parameter",
        raw=_photo_jpeg,
        content_type="image/jpeg",
        query={"render_size": ["128", "256"]},
    ),
    Case("format gif", 422, "invalid_parameter", raw=_photo_jpeg, content_type="image/jpeg", query={"format": "gif"}),
    Case("format nonsense", 422, "invalid_parameter", file=lambda: ("a.jpg", _photo_jpeg()), form={"format": "png;"}),
    Case(
        "quality 0",
        422,
        "invalid_parameter",
        raw=_photo_jpeg,
        content_type="image/jpeg",
        query={"format": "jpeg", "quality": "0"},
    ),
    Case(
        "quality 101",
        422,
        "invalid_parameter",
        raw=_photo_jpeg,
        content_type="image/jpeg",
        query={"format": "webp", "quality": "101"},
    ),
    Case(
        "quality not a number",
        422,
        "invalid_parameter",
        raw=_photo_jpeg,
        content_type="image/jpeg",
        query={"format": "jpeg", "quality": "best"},
    ),
    # Odd but valid images a user uploads: colorized, same (upright) size.
    Case("animated gif (first frame)", 200, file=lambda: ("anim.gif", _animated_gif()), size=(40, 30)),
    Case("16-bit grey png", 200, file=lambda: ("scan16.png", _png16()), size=(40, 30)),
    Case("cmyk jpeg", 200, file=lambda: ("print.jpg", _cmyk_jpeg()), size=(40, 30)),
    Case(
        "palette png with transparency",
        200,
        file=lambda: ("sprite.png", _palette_png_with_transparency()),
        size=(40, 30),
        mode="RGBA",
    ),
    Case("exif-rotated jpeg", 200, file=lambda: ("phone.jpg", _exif_rotated_jpeg()), size=(60, 40)),
    Case(
        "grey png with alpha",
        200,
        raw=lambda: encode(make_photo(40, 30).convert("LA"), "PNG"),
        content_type="image/png",
        size=(40, 30),
        mode="RGBA",
    ),
    Case("tiff", 200, raw=lambda: encode(make_photo(40, 30), "TIFF"), content_type="image/tiff", size=(40, 30)),
    Case("bmp", 200, file=lambda: ("old.bmp", encode(make_photo(40, 30).convert("L"), "BMP")), size=(40, 30)),
    Case("webp with alpha", 200, file=lambda: ("pic.webp", _webp_with_alpha()), size=(40, 30), mode="RGBA"),
    Case("mpo (phone camera jpeg)", 200, file=lambda: ("IMG_0001.JPG", _mpo()), size=(40, 30)),
    Case("1x1 png", 200, raw=lambda: encode(Image.new("L", (1, 1), 128), "PNG"), content_type="image/png", size=(1, 1)),
    Case(
        "content type with parameters", 200, raw=_photo_jpeg, content_type="IMAGE/JPEG; charset=binary", size=(96, 64)
    ),
    Case("wrong image subtype (png sent as image/jpeg)", 200, raw=_photo_png, content_type="image/jpeg", size=(96, 64)),
] + (
    [Case("avif", 200, raw=lambda: encode(make_photo(40, 30), "AVIF"), content_type="image/avif", size=(40, 30))]
    if features.check("avif")
    else []
)


def test_the_corpus_is_big_enough():
    errors = [case for case in CORPUS if case.status != 200]
    assert len(errors) >= 25
    assert len({case.name for case in CORPUS}) == len(CORPUS)


def _good_request_still_works(client) -> None:
    response = client.post("/v1/colorize", data=_photo_jpeg(), content_type="image/jpeg")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.data)).size == (96, 64)


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_corpus_case(client, case):
    response = case.send(client)
    if case.status == 200:
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        result = Image.open(io.BytesIO(response.data))
        assert result.format == "PNG"
        assert result.size == case.size
        assert result.mode == case.mode
    else:
        error = error_of(response, case.status)
        assert error["code"] == case.code, error
        if case.code == "invalid_parameter":
            assert error["parameter"] in ("render_size", "format", "quality")
    _good_request_still_works(client)
