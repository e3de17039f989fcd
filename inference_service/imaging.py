"""Untrusted bytes in, image bytes out: header checks, decoding, encoding and file names.

Decoding is split in two on purpose: `open_image` reads only the header (format
and size), so an image with too many pixels, a decompression bomb included, is
refused before any pixel is decoded; `decode_pixels` then decodes the first
frame. Both map every decoder failure to a JSON error with a stable code.
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import PureWindowsPath
from urllib.parse import quote

from PIL import Image, ImageOps, UnidentifiedImageError, features

from inference_service.errors import ApiError
from model.image_formats import (  # re-exported: the service's routes and OpenAPI document use them
    DEFAULT_QUALITY as DEFAULT_QUALITY,
    FORMAT_ALIASES as FORMAT_ALIASES,
    OUTPUT_FORMATS as OUTPUT_FORMATS,
    OutputFormat as OutputFormat,
    encode_image as encode_image,
)

# Register every plugin now: Image.open(formats=...) fails on a name whose plugin
# Pillow has not loaded yet (its lazy loading covers only a few formats).
Image.init()
# What users upload. Only these decoders are ever run on request bytes. (JPEG
# covers the MPO files many phone cameras write: Pillow opens them as JPEG.)
INPUT_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF") + (
    ("AVIF",) if features.check("avif") else ()
)
# The same formats as a browser's file picker sees them (`accept`): media types and file
# name extensions, from Pillow's own registry. MPO files are JPEGs (see above).
_ACCEPTED_NAMES = INPUT_FORMATS + (("MPO",) if "JPEG" in INPUT_FORMATS else ())
INPUT_MEDIA_TYPES: tuple[str, ...] = tuple(
    dict.fromkeys(Image.MIME[name] for name in _ACCEPTED_NAMES if name in Image.MIME)
)
INPUT_EXTENSIONS: tuple[str, ...] = tuple(
    sorted(extension for extension, name in Image.registered_extensions().items() if name in _ACCEPTED_NAMES)
)
# Pixel modes the Colorizer reads directly; anything else is converted to RGB first.
_COLORIZER_MODES = {
    "1",
    "L",
    "LA",
    "La",
    "P",
    "PA",
    "RGB",
    "RGBA",
    "RGBa",
    "RGBX",
    "CMYK",
    "YCbCr",
    "I",
    "I;16",
    "I;16L",
    "I;16B",
    "I;16N",
    "F",
}


def _invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_image", message)


def _too_large(message: str) -> ApiError:
    return ApiError(422, "image_too_large", message)


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Identify the image from its header and check its size; no pixel is decoded here."""
    if not data:
        raise _invalid("The image is empty (zero bytes).")
    try:
        image = Image.open(io.BytesIO(data), formats=INPUT_FORMATS)
    except Image.DecompressionBombError as error:
        raise _too_large(f"The image declares more pixels than the limit of {max_pixels}.") from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise _invalid(
            f"The file is not an image this service can read (supported: {', '.join(INPUT_FORMATS)})."
        ) from error
    width, height = image.size
    if width < 1 or height < 1:
        raise _invalid(f"The image declares an empty size ({width}x{height}).")
    if width * height > max_pixels:
        raise _too_large(f"The image is {width}x{height} = {width * height} pixels; the limit is {max_pixels} pixels.")
    return image


def decode_pixels(image: Image.Image) -> Image.Image:
    """Decode the first frame; the result is in a mode the Colorizer reads (EXIF orientation kept for it)."""
    try:
        image.load()
    except Image.DecompressionBombError as error:
        raise _too_large("The image has more pixels than this service decodes.") from error
    except Exception as error:  # decoders raise many types on hostile input; all mean "bad file"
        raise _invalid(f"The image could not be decoded; it may be truncated or corrupt ({error}).") from error
    if image.mode in _COLORIZER_MODES:
        return image
    try:
        return ImageOps.exif_transpose(image).convert("RGB")
    except Exception as error:
        raise ApiError(
            415, "unsupported_media_type", f"Images with pixel mode {image.mode!r} are not supported."
        ) from error


_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/;:*?<>|]+')
# Unicode categories never shown as themselves: format characters (Cf: the
# bidirectional overrides and isolates that make "\u202egpj.exe" display as
# "exe.jpg", zero-width characters), line/paragraph separators, lone surrogates, and
# the C1 controls (ASCII controls become "_" through _UNSAFE_IN_FILENAME).
_INVISIBLE_CATEGORIES = {"Cf", "Zl", "Zp", "Cs"}


def without_invisible_characters(text: str) -> str:
    """`text` without format (bidirectional, zero-width), separator and C1 control characters."""
    return "".join(
        char
        for char in text
        if unicodedata.category(char) not in _INVISIBLE_CATEGORIES and not "\x80" <= char <= "\x9f"
    )


def original_stem(filename: str | None) -> str:
    """The upload's name without folders or extension, safe inside a header; "image" if none."""
    if not filename:
        return "image"
    # PureWindowsPath splits on both / and \, so "C:\\photos\\cat.jpg" gives "cat".
    stem = PureWindowsPath(without_invisible_characters(filename)).stem
    stem = _UNSAFE_IN_FILENAME.sub("_", stem).strip(" ._")
    return stem[:100] or "image"


def content_disposition(filename: str) -> str:
    """`inline; filename="..."`, plus RFC 6266's filename* when the name is not plain ASCII."""
    if filename.isascii():
        return f'inline; filename="{filename}"'
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = fallback.strip(" ._-") or "image-colorized"
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
