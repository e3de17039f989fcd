"""The HTTP API: one blueprint, thin views over ModelHost, InferenceGate and imaging."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import Blueprint, Request, Response, current_app, jsonify, request
from PIL import Image
from werkzeug.datastructures import MultiDict

from inference_service.config import Settings
from inference_service.errors import ApiError
from inference_service.imaging import (
    INPUT_EXTENSIONS,
    INPUT_FORMATS,
    INPUT_MEDIA_TYPES,
    OUTPUT_FORMATS,
    content_disposition,
    decode_pixels,
    encode_image,
    open_image,
    original_stem,
)
from inference_service.memory import heap_trimmer
from inference_service.model_host import InferenceGate, ModelHost, ModelStatus, QueueFull
from inference_service.offload import run_blocking
from inference_service.openapi import build_openapi
from inference_service.public_metadata import public_metadata
from inference_service.request_input import invalid_parameter, reading_body, single_value
from inference_service.request_log import log_field
from inference_service.video_routes import video_capabilities
from model.colorizer import Colorizer
from model.colour_input import is_colour_photo
from model.hints import Hint
from model.options import OPTIONS_BY_NAME, ColorizeOptions, OptionError, parse_options

api = Blueprint("api", __name__)


@dataclass(frozen=True)
class ServiceState:
    """What the views share, kept in app.extensions["colorizer"]."""

    settings: Settings
    host: ModelHost
    gate: InferenceGate


def _state() -> ServiceState:
    return current_app.extensions["colorizer"]


def _ready_colorizer(state: ServiceState) -> Colorizer:
    """The loaded Colorizer, or 503 not_ready while it is loading or after it failed to load."""
    host = state.host
    if host.status is ModelStatus.READY and host.colorizer is not None:
        return host.colorizer
    if host.status is ModelStatus.FAILED:
        raise ApiError(503, "not_ready", f"The model failed to load: {host.public_error}")
    raise ApiError(
        503,
        "not_ready",
        "The model is still loading; retry shortly.",
        headers={"Retry-After": str(state.settings.retry_after_s)},
    )


# --- parameters ---------------------------------------------------------------------------


def refuse_parameter_files(files: MultiDict) -> None:
    """A parameter sent as a file part would be silently ignored: say how to send it instead."""
    for name in OPTIONS_BY_NAME:
        if name in files:
            raise invalid_parameter(
                name,
                f"'{name}' was sent as a file; send it as a text field "
                f"(with curl: -F '{name}=<{name}.json', not -F '{name}=@{name}.json').",
            )


def parse_request_options(values: MultiDict) -> ColorizeOptions:
    """The colorize options (model.options) from the query string and form fields; 422 invalid_parameter."""
    try:
        return parse_options(lambda name: single_value(values, name))
    except OptionError as error:
        raise invalid_parameter(error.name, error.message) from None


def _check_hints_supported(colorizer: Colorizer, hints: tuple[Hint, ...]) -> None:
    if hints and not colorizer.supports_hints:
        raise ApiError(
            422,
            "hints_unsupported",
            f"The model {colorizer.name} {colorizer.version} does not take colour hints; "
            "send the request without 'hints' (GET /v1/model says whether a model takes them).",
            parameter="hints",
        )


# --- the upload ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str | None


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"The upload is larger than the limit of {limit} bytes.")


def read_upload(req: Request, max_bytes: int) -> Upload:
    """The image from multipart field `image`, or the raw body sent as image/*."""
    mimetype = req.mimetype
    if mimetype == "multipart/form-data":
        file = req.files.get("image")
        if file is None:
            if "image" in req.form:
                raise ApiError(
                    400,
                    "missing_image",
                    "The 'image' field was sent as text, not as a file (with curl: -F image=@photo.jpg).",
                )
            raise ApiError(400, "missing_image", "No image: send it as the multipart file field 'image'.")
        data = file.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise _too_large(max_bytes)
        if not data and not file.filename:
            # What a browser sends for a file input left empty.
            raise ApiError(400, "missing_image", "The 'image' field holds no file.")
        return Upload(data, file.filename)
    if mimetype.startswith("image/"):
        data = req.get_data(cache=False)
        if len(data) > max_bytes:
            raise _too_large(max_bytes)
        return Upload(data, None)
    if not mimetype and not req.content_length and not req.get_data(cache=False):
        raise ApiError(
            400,
            "missing_image",
            "No image: send it as the multipart file field 'image', or as the raw body with Content-Type image/*.",
        )
    raise ApiError(
        415,
        "unsupported_media_type",
        f"Content-Type {mimetype or '(none)'!r} is not accepted: send multipart/form-data with a file field "
        "'image', or the raw image with an image/* Content-Type.",
    )


def _header_text(text: str) -> str:
    """HTTP header values must be plain ASCII to be safe with every client."""
    return text.encode("ascii", "replace").decode("ascii")


# --- views --------------------------------------------------------------------------------


@api.get("/")
def index() -> Response:
    """Where to look next."""
    return jsonify(
        {
            "service": "colorizer-inference",
            "endpoints": {
                "colorize": "POST /v1/colorize",
                "videos": "POST /v1/videos",
                "health": "GET /v1/health",
                "model": "GET /v1/model",
                "openapi": "GET /openapi.json",
            },
        }
    )


@api.get("/openapi.json")
def openapi_document() -> Response:
    """The API description, with the limits in force (and the loaded model's hint limit)."""
    state = _state()
    colorizer = state.host.colorizer if state.host.status is ModelStatus.READY else None
    return jsonify(build_openapi(state.settings, colorizer))


@api.get("/v1/health")
def health() -> tuple[Response, int]:
    """READY (200), or STARTING / FAILED (503): load balancers need no body parsing."""
    state = _state()
    host = state.host
    body: dict[str, object] = {
        "status": host.status.value,
        "uptime_s": round(time.monotonic() - host.started_at, 1),
        "queue": {"capacity": state.gate.capacity, "in_use": state.gate.admitted},
        # Known before the model is: the gateway takes its upload limit from here.
        "limits": state.settings.limits(),
    }
    colorizer = host.colorizer
    if host.status is ModelStatus.READY and colorizer is not None:
        body["model"] = {"name": colorizer.name, "version": colorizer.version}
        body["backend"] = colorizer.backend_name
        body["device"] = str(colorizer.device)
        body["batching"] = colorizer.batching
        body["load_ms"] = round((host.load_seconds or 0.0) * 1000, 1)
    if host.status is ModelStatus.FAILED:
        body["error"] = host.public_error
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if host.status is ModelStatus.READY else 503


@api.get("/v1/model")
def model_info() -> Response:
    """The artifact's metadata, the device it runs on and the request limits."""
    state = _state()
    colorizer = _ready_colorizer(state)
    # No file or module names, no paths of the training machine (public_metadata.py).
    metadata = public_metadata(colorizer.metadata.to_dict())
    return jsonify(
        {
            **metadata,
            "backend": colorizer.backend_name,
            "supports_hints": colorizer.supports_hints,
            "max_hints": colorizer.max_hints,
            "device": str(colorizer.device),
            "batching": colorizer.batching,
            "limits": state.settings.limits(),
            "input_formats": list(INPUT_FORMATS),
            "input_media_types": list(INPUT_MEDIA_TYPES),
            "input_extensions": list(INPUT_EXTENSIONS),
            "output_formats": list(OUTPUT_FORMATS),
            "videos": video_capabilities(),
        }
    )


def _colorize_on_thread(
    state: ServiceState, colorizer: Colorizer, image: Image.Image, render_size: int, options: ColorizeOptions
) -> tuple[bytes, float, float, bool]:
    """Decode, colorize and encode once the model is free: (encoded image, seconds waited, inference ms,
    whether the upload was already a colour photo)."""
    try:
        with state.gate.turn() as waited_s:
            pixels = decode_pixels(image)
            in_colour = is_colour_photo(pixels)
            started = time.perf_counter()
            result = colorizer.colorize(pixels, render_size=render_size, hints=options.hints, vibrance=options.vibrance)
            inference_ms = (time.perf_counter() - started) * 1000
            body = encode_image(result, options.output, options.quality, state.settings.png_compress_level)
        del pixels, result
        return body, waited_s, inference_ms, in_colour
    finally:
        # The image's buffers are free now (the view has no further use for the
        # decoded image): hand a big enough surplus back to the OS (memory.py).
        image.close()
        heap_trimmer.after_request()


@api.post("/v1/colorize")
def colorize() -> Response:
    """Colorize one image; the answer has the input's width and height."""
    state = _state()
    settings = state.settings
    with reading_body():
        options = parse_request_options(request.values)
        refuse_parameter_files(request.files)
        colorizer = _ready_colorizer(state)
        _check_hints_supported(colorizer, options.hints)
        upload = read_upload(request, settings.max_upload_bytes)
    image = open_image(upload.data, settings.max_pixels)
    render_size = options.render_size or colorizer.render_size
    log_field(
        input_bytes=len(upload.data),
        input_format=image.format,
        input_width=image.size[0],
        input_height=image.size[1],
        render_size=render_size,
        output_format=options.output.name,
        hints=len(options.hints),
        vibrance=options.vibrance,
    )
    try:
        # The place is taken here, on the event loop, so a full queue is refused at once;
        # the work itself runs on a real thread (offload.py) so this loop stays free.
        with state.gate.place():
            body, waited_s, inference_ms, in_colour = run_blocking(
                _colorize_on_thread, state, colorizer, image, render_size, options
            )
    except QueueFull:
        raise ApiError(
            503,
            "busy",
            "The service is busy; retry shortly.",
            headers={"Retry-After": str(settings.retry_after_s)},
        ) from None
    log_field(queue_ms=round(waited_s * 1000, 1), inference_ms=round(inference_ms, 1))
    filename = f"{original_stem(upload.filename)}-colorized.{options.output.extension}"
    response = Response(body, mimetype=options.output.media_type)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["X-Model-Name"] = _header_text(colorizer.name)
    response.headers["X-Model-Version"] = _header_text(colorizer.version)
    response.headers["X-Inference-Ms"] = f"{inference_ms:.1f}"
    response.headers["X-Render-Size"] = str(render_size)
    response.headers["X-Input-Colour"] = "colour" if in_colour else "gray"
    response.headers["Cache-Control"] = "no-store"
    return response
