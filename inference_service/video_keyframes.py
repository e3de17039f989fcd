"""A film job's keyframes over REST: the multipart parts of POST /v1/videos, checked and kept with the job.

    curl -F video=@film.mp4 -F keyframe_images=@still.png \
         -F 'keyframes=[{"time": 12.5, "image": 0}, {"time": 3, "hints": [{"x": 0.4, "y": 0.5, "color": "#a03020"}]}]' \
         http://localhost:8000/v1/videos

`keyframes` is a JSON list of {"time" (seconds), "image"? (index into the
`keyframe_images` file parts), "hints"? (pins, as a photo's)}. Every fault is a 400
with a stable code (video.keyframe_input's, `invalid_keyframes`, `invalid_hints`),
before the job exists. The images are kept in the job record at no more than
KEPT_SHORT_SIDE pixels on the short side (the colour is carried at the render size,
a few hundred pixels), as JPEG, so the job holds everything its film needs from
them; the worker turns them back into `video.Keyframe`s (`job_keyframes`).

A rerun (POST /v1/videos/{id}/rerun) sends the same parts: `merge_keyframes` joins
them to the source job's kept ones (or, with keyframes_mode=replace, uses them alone).
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict

from inference_service.errors import ApiError
from model.hints import HintError, parse_hints
from video.keyframe_input import (
    KEYFRAME_ERROR_CODES,
    MAX_KEYFRAMES,
    TOO_MANY_KEYFRAMES,
    Keyframe,
    KeyframeError,
    check_aspect,
    check_keyframes,
    read_keyframe_image,
)

KEYFRAMES_FIELD = "keyframes"
IMAGES_FIELD = "keyframe_images"
# A rerun's form field: "merge" (the default) joins the sent keyframes to the source job's, "replace" drops those.
MODE_FIELD = "keyframes_mode"
MODES = ("merge", "replace")
INVALID_KEYFRAMES = "invalid_keyframes"
INVALID_HINTS = "invalid_hints"
# Above any render size the network sees by default; the carried colour is smooth.
KEPT_SHORT_SIDE = 512
MAX_KEYFRAME_IMAGE_BYTES = 25 * 1024 * 1024
# Every 400 code a keyframe may get at POST (a keyframe past the decoded end fails the job instead).
KEYFRAME_REQUEST_CODES = sorted(KEYFRAME_ERROR_CODES | {INVALID_KEYFRAMES, INVALID_HINTS})
# The multipart parts beside `video`, as the OpenAPI document declares them.
KEYFRAME_PARTS: dict[str, Any] = {
    KEYFRAMES_FIELD: {
        "type": "string",
        "description": f"A film's keyframes (at most {MAX_KEYFRAMES}), as a JSON list of "
        '{"time": seconds, "image": index into keyframe_images, "hints": [pins as for a photo]}: each one\'s '
        "colours (the image's, or the frame colorized with its pins) carry through its shot, forwards and "
        "backwards; at a cut they end. An image of another size is resized; another aspect ratio, a grey image, "
        "a time below 0 or past the end, two at one time, pins outside 0..1 are refused (400, the code says which).",
    },
    IMAGES_FIELD: {
        "type": "array",
        "items": {"type": "string", "contentMediaType": "application/octet-stream"},
        "description": "The keyframes' colour images (PNG, JPEG, WebP...), referred to by index from `keyframes`.",
    },
}


def _refuse(code: str, message: str) -> ApiError:
    return ApiError(400, code, message, parameter=KEYFRAMES_FIELD)


def _entries(form: MultiDict) -> list[dict[str, Any]]:
    texts = [value for value in form.getlist(KEYFRAMES_FIELD) if value.strip()]
    if len(texts) > 1:
        raise _refuse(INVALID_KEYFRAMES, "Send 'keyframes' once, as one JSON list.")
    try:
        entries = json.loads(texts[0]) if texts else []
    except json.JSONDecodeError as error:
        raise _refuse(INVALID_KEYFRAMES, f"'keyframes' is not JSON ({error.msg} at character {error.pos}).") from None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise _refuse(INVALID_KEYFRAMES, "'keyframes' must be a JSON list of {time, image?, hints?} objects.")
    for index, entry in enumerate(entries):
        unknown = sorted(set(entry) - {"time", "image", "hints"})
        if unknown or "time" not in entry:
            raise _refuse(INVALID_KEYFRAMES, f"keyframe {index}: needs a time, and takes image and hints only.")
    return entries


def _image(entry: dict[str, Any], index: int, images: list[FileStorage]) -> Image.Image | None:
    reference = entry.get("image")
    if reference is None:
        return None
    if isinstance(reference, bool) or not isinstance(reference, int) or not 0 <= reference < len(images):
        raise _refuse(
            INVALID_KEYFRAMES,
            f"keyframe {index}: image must be the index of one of the {len(images)} '{IMAGES_FIELD}' parts.",
        )
    data = images[reference].stream.read(MAX_KEYFRAME_IMAGE_BYTES + 1)
    images[reference].stream.seek(0)
    if len(data) > MAX_KEYFRAME_IMAGE_BYTES:
        raise ApiError(
            413, "payload_too_large", f"keyframe image {reference} is over {MAX_KEYFRAME_IMAGE_BYTES} bytes."
        )
    return read_keyframe_image(data, f"keyframe image {reference}")


def _kept(image: Image.Image) -> str:
    """The image as kept in the job: RGB, short side at most KEPT_SHORT_SIDE, JPEG, base64."""
    rgb = image.convert("RGB")
    scale = KEPT_SHORT_SIDE / min(rgb.size)
    if scale < 1:
        rgb = rgb.resize(
            (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))), Image.Resampling.LANCZOS
        )
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=92)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def parse_keyframe_parts(form: MultiDict, files: MultiDict, video: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's keyframes, checked against the probed `video` (width, height, duration_s), as kept in the job.

    Raises ApiError 400 with a stable code for every fault (413 for an image over the limit).
    """
    entries = _entries(form)
    images = files.getlist(IMAGES_FIELD)
    if not entries:
        if images:
            raise _refuse(INVALID_KEYFRAMES, f"'{IMAGES_FIELD}' were sent without 'keyframes' saying where they go.")
        return []
    keyframes = []
    try:
        for index, entry in enumerate(entries):
            try:
                hints = tuple(parse_hints(entry["hints"])) if entry.get("hints") is not None else ()
            except HintError as error:
                raise ApiError(400, INVALID_HINTS, f"keyframe {index}: {error}", parameter=KEYFRAMES_FIELD) from None
            keyframes.append(Keyframe(entry["time"], _image(entry, index, images), hints))
        keyframes = check_keyframes(keyframes, video.get("duration_s"))  # by time, as the job's view lists them
        width, height = video.get("width"), video.get("height")
        for keyframe in keyframes:
            if keyframe.image is not None and width and height:
                check_aspect(keyframe.image, width, height, f"keyframe at {keyframe.time:g} s")
    except KeyframeError as error:
        raise ApiError(400, error.code, error.message, parameter=KEYFRAMES_FIELD) from None
    return [
        {
            "time": float(keyframe.time),
            "image": _kept(keyframe.image) if keyframe.image is not None else None,
            "hints": [{"x": h.x, "y": h.y, "color": h.hex_color, "reach": h.reach} for h in keyframe.hints],
        }
        for keyframe in keyframes
    ]


def job_keyframes(kept: list[dict[str, Any]]) -> list[Keyframe]:
    """The job's keyframes back as `video.Keyframe`s (the worker's side of `parse_keyframe_parts`)."""
    keyframes = []
    for entry in kept:
        image = None
        if entry.get("image"):
            image = Image.open(io.BytesIO(base64.b64decode(entry["image"])))
            image.load()
        keyframes.append(Keyframe(entry["time"], image, tuple(parse_hints(entry.get("hints") or []))))
    return keyframes


def merge_keyframes(kept: list[dict[str, Any]], sent: list[dict[str, Any]], fps: float | None) -> list[dict[str, Any]]:
    """A rerun's keyframes (as kept in the job): the source's `kept` ones and the `sent` ones, by time.

    A sent keyframe replaces a kept one at the same time: within half a frame at `fps`,
    or at exactly the same seconds when the rate is unknown. 400 too_many_keyframes past MAX_KEYFRAMES.
    """
    half_frame = 0.5 / fps + 1e-9 if fps else 0.0

    def replaced(keyframe: dict[str, Any]) -> bool:
        return any(abs(keyframe["time"] - new["time"]) <= half_frame for new in sent)

    merged = sorted([keyframe for keyframe in kept if not replaced(keyframe)] + sent, key=lambda k: k["time"])
    if len(merged) > MAX_KEYFRAMES:
        raise _refuse(
            TOO_MANY_KEYFRAMES,
            f"at most {MAX_KEYFRAMES} keyframes per film: the source job's {len(kept)} and the {len(sent)} sent "
            f"make {len(merged)} (send keyframes_mode=replace to drop the source job's).",
        )
    return merged


def keyframes_view(kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A job's keyframes as its view shows them: the time, the pins, whether it has an image (not the image)."""
    return [
        {"time": entry["time"], "hints": list(entry.get("hints") or []), "has_image": bool(entry.get("image"))}
        for entry in kept
    ]
