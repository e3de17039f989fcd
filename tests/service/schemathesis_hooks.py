"""What schemathesis needs to know beyond the OpenAPI document (SCHEMATHESIS_HOOKS).

- Image bodies: a JSON Schema cannot say "a decodable image", so the generated
  uploads come from here: small real images (random size, pixel mode and format).
  Schemathesis uses them wherever the document says image/* (the raw body and the
  multipart `image` field), and sends its own mutations as negative cases.
- One rule that OpenAPI cannot express: an option may come in the query string or
  as a form field, not in both with different values (that is 422 invalid_parameter
  by design, as the document's description says); such cases are left out.
- Another: a blank option is its default, by design (a form left empty), so a query
  value that is sent as nothing ("", or an empty list or object, which serialise to
  `name=`) is no schema violation the service should refuse; such cases are left out.
- Video bodies: likewise, a few tiny real MP4s (made with PyAV when the hooks load).
- A film's keyframes must fall inside the film and name images that were sent, which a
  schema cannot say of a JSON text field; cases that send keyframes are left out (their
  own tests, tests/service/test_video_keyframes.py, send valid and invalid ones).
- Time: a valid render_size is brought under 193 (a 1024 render of a thin image is
  a multi-megapixel forward, seconds on a shared CPU); out-of-range values stay.
"""

from __future__ import annotations

import io

import schemathesis
from hypothesis import strategies as st
from PIL import Image

from model.options import OPTIONS_BY_NAME, RENDER_SIZE
from video.options import VIDEO_JOB_OPTIONS

# Media type -> Pillow format: each a format the service accepts.
IMAGE_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
}
# Options that may be given in the query string or in the form (the options table).
OPTIONS = (*OPTIONS_BY_NAME, *(option.name for option in VIDEO_JOB_OPTIONS))
# The API's render_size range and the cap this run keeps to.
RENDER_SIZE_RANGE = tuple(int(bound) for bound in RENDER_SIZE.bounds)
RENDER_SIZE_CAP = 192
# The multipart parts of a film's keyframes (see the module docstring).
KEYFRAME_PARTS = ("keyframes", "keyframe_images")


@st.composite
def _images(draw: st.DrawFn, pillow_format: str) -> bytes:
    width = draw(st.integers(1, 48))
    height = draw(st.integers(1, 48))
    mode = draw(st.sampled_from(["L", "RGB"] if pillow_format == "JPEG" else ["L", "RGB", "RGBA"]))
    if pillow_format == "BMP" and mode == "RGBA":
        mode = "RGB"
    shade = draw(st.integers(0, 255))
    image = Image.new(mode, (width, height), shade if mode == "L" else (shade,) * len(mode))
    # A second shade in one corner: something for the model to tell apart.
    image.paste(
        255 - shade if mode == "L" else (255 - shade,) * len(mode), (0, 0, max(1, width // 2), max(1, height // 2))
    )
    buffer = io.BytesIO()
    image.save(buffer, format=pillow_format)
    return buffer.getvalue()


for _media_type, _pillow_format in IMAGE_FORMATS.items():
    schemathesis.openapi.media_type(_media_type, _images(_pillow_format))


def _clip(frames: int, width: int, height: int) -> bytes:
    """A small real H.264 MP4 (PyAV, FFmpeg inside its wheel), made once per shape."""
    import tempfile
    from pathlib import Path

    from tests.video.clips import pan_frames, write_clip

    with tempfile.TemporaryDirectory() as folder:
        return write_clip(Path(folder) / "clip.mp4", pan_frames(frames, width, height), rate=10).read_bytes()


# Video uploads (the raw video/* body and the multipart `video` field): real films, as for images.
_CLIPS = [_clip(3, 32, 24), _clip(2, 48, 32)]
schemathesis.openapi.media_type("video/*", st.sampled_from(_CLIPS))


def _sent_blank(value: object) -> bool:
    """Whether a query value goes out as `name=`: the option's default, by design."""
    return value == "" or (isinstance(value, list | dict) and not value)


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Leave out a case that sends an option blank, gives one in the query string and in the
    form with different values, or sends keyframes (see the module docstring)."""
    if isinstance(case.query, dict) and any(_sent_blank(case.query.get(name)) for name in OPTIONS):
        return False
    if isinstance(case.body, dict) and any(case.body.get(part) for part in KEYFRAME_PARTS):
        return False
    if not isinstance(case.body, dict) or not case.query:
        return True
    for name in OPTIONS:
        if name in case.query and name in case.body and str(case.query[name]) != str(case.body[name]):
            return False
    return True


def _cheaper(values: object) -> None:
    if not isinstance(values, dict):
        return
    size = values.get("render_size")
    low, high = RENDER_SIZE_RANGE
    if isinstance(size, int) and not isinstance(size, bool) and low <= size <= high:
        values["render_size"] = low + (size - low) % (RENDER_SIZE_CAP - low + 1)


@schemathesis.hook
def map_case(context, case):
    """Keep valid render sizes small (see the module docstring)."""
    _cheaper(case.query)
    _cheaper(case.body)
    return case
