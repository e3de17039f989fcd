"""Image files the project reads and writes: one list shared by the CLI, training and the service.

Torch-free (Pillow only): the service and the offline CLI encode with `encode_image`, the
CLI and training find inputs by `IMAGE_SUFFIXES`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from model.preprocessing import flatten_alpha

# File names taken as images when a folder is searched (case-insensitive). A GIF is read as
# its first frame, as the service does.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"})


@dataclass(frozen=True)
class OutputFormat:
    """An encoding results can be written in."""

    name: str  # the value of `format` (API) or `--format` (CLI)
    pillow_format: str
    media_type: str
    extension: str
    lossy: bool  # takes a quality (JPEG, WebP)


OUTPUT_FORMATS = {
    "png": OutputFormat("png", "PNG", "image/png", "png", lossy=False),
    "jpeg": OutputFormat("jpeg", "JPEG", "image/jpeg", "jpg", lossy=True),
    "webp": OutputFormat("webp", "WEBP", "image/webp", "webp", lossy=True),
}
FORMAT_ALIASES = {"jpg": "jpeg"}
# JPEG/WebP quality unless asked otherwise (1-100).
DEFAULT_QUALITY = 90
# zlib level for PNG: Pillow's default; the service may choose a faster one.
DEFAULT_PNG_COMPRESS_LEVEL = 6


def output_format(name: str) -> OutputFormat:
    """The format called `name` or one of its aliases ("jpg"); KeyError for anything else."""
    return OUTPUT_FORMATS[FORMAT_ALIASES.get(name, name)]


def encode_image(
    image: Image.Image,
    output: OutputFormat,
    quality: int = DEFAULT_QUALITY,
    png_compress_level: int = DEFAULT_PNG_COMPRESS_LEVEL,
) -> bytes:
    """The bytes of `image` in `output`; JPEG has no alpha, so transparent areas are laid on white
    (as a viewer shows them)."""
    buffer = io.BytesIO()
    if output.pillow_format == "PNG":
        image.save(buffer, format="PNG", compress_level=png_compress_level)
    elif output.pillow_format == "JPEG":
        flatten_alpha(image).save(buffer, format="JPEG", quality=quality)
    else:
        image.save(buffer, format=output.pillow_format, quality=quality)
    return buffer.getvalue()
