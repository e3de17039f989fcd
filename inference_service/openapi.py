"""The OpenAPI 3.1 description of the service, served at GET /openapi.json.

Built from the live settings (and, once it is loaded, the model's hint limit) so the
documented limits are the enforced ones. The tests keep it honest: every response
the service tests receive is validated against it (tests/service/contract.py), every
documented response is produced once (test_openapi.py), and schemathesis sends it
generated requests (test_schemathesis.py). The gateway serves it to browsers at
/api/v1/openapi.json and shows it on its /api/docs page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inference_service.config import Settings
from inference_service.imaging import INPUT_FORMATS, OUTPUT_FORMATS
from inference_service.openapi_videos import video_paths, video_schemas
from inference_service.option_schemas import option_schema
from inference_service.request_log import REQUEST_ID_PATTERN
from model.hints import DEFAULT_REACH, MAX_HINTS, REACHES
from model.options import COLORIZE_OPTIONS, HINTS

if TYPE_CHECKING:
    from model.colorizer import Colorizer

API_VERSION = "1.3.0"

_ERROR = "#/components/schemas/Error"
# What runs the network, as both /v1/health and /v1/model say it.
_RUNS_ON = {
    "backend": {"type": "string", "enum": ["onnx", "torch"], "description": "What runs the network."},
    "device": {"type": "string"},
    "batching": {"$ref": "#/components/schemas/Batching"},
}
_REQUEST_ID = {"$ref": "#/components/headers/X-Request-Id"}
_RETRY_AFTER = {"$ref": "#/components/headers/Retry-After"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _error_response(description: str, codes: list[str], retry_after: bool = False) -> dict:
    """An error answer whose `error.code` is one of `codes`."""
    schema = {
        "allOf": [
            {"$ref": _ERROR},
            {"properties": {"error": {"properties": {"code": {"enum": codes}}}}},
        ]
    }
    headers = {"X-Request-Id": _REQUEST_ID}
    if retry_after:
        headers["Retry-After"] = _RETRY_AFTER
    return {
        "description": f"{description} Codes: {', '.join(codes)}.",
        "headers": headers,
        "content": _json(schema),
    }


def _ok(description: str, schema: dict) -> dict:
    return {"description": description, "headers": {"X-Request-Id": _REQUEST_ID}, "content": _json(schema)}


def _header(description: str, schema: dict, required: bool = True) -> dict:
    return {"description": description, "required": required, "schema": schema}


def _object(properties: dict, required: list[str] | None = None, description: str | None = None) -> dict:
    """A JSON object with exactly these properties (an undocumented one fails the tests)."""
    schema: dict = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = required
    if description:
        schema["description"] = description
    return schema


def _hints_schema(max_hints: int) -> dict:
    """The `hints` list (model.options.HINTS) with the loaded model's limit; described where it is used."""
    schema = {**option_schema(HINTS), "maxItems": max_hints}
    del schema["description"]
    return schema


def build_openapi(settings: Settings, colorizer: Colorizer | None = None) -> dict:
    """The whole document as a JSON-ready dict.

    `colorizer`: the loaded model, when there is one: its hint limit (0 for a model
    that takes no hints) replaces the API's upper bound in the `hints` schema.
    """
    max_hints = MAX_HINTS if colorizer is None else (colorizer.max_hints if colorizer.supports_hints else 0)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Colorizer inference service",
            "version": API_VERSION,
            "description": "Colorizes grayscale photos, and films as jobs (/v1/videos): the result keeps the "
            "input's size and lightness and adds plausible colour. Every error is JSON: "
            '{"error": {"code", "message", "request_id"}}, with a stable `code`.',
        },
        "paths": {
            **_service_paths(),
            **_colorize_paths(settings, max_hints),
            **video_paths(settings, _ok, _error_response),
        },
        "components": _components(),
    }
    # Unknown paths, wrong methods and unexpected failures answer JSON too (gunicorn's own refusals included).
    other_errors = {
        "description": "Any other error: not_found, method_not_allowed (with Allow), request_timeout, "
        "internal_error...",
        "content": _json({"$ref": _ERROR}),
    }
    # gunicorn refuses these before any route runs, on every path (JSON: protocol_errors.py);
    # listed, since a request that keeps to the schema can still be too long as a whole.
    server_refusals = {
        "414": _error_response(
            "The request line (method, path and query string) is longer than 8190 bytes.", ["uri_too_long"]
        ),
        "431": _error_response("Too many headers, or one longer than 8190 bytes.", ["request_header_fields_too_large"]),
    }
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].update(server_refusals)
            operation["responses"]["default"] = other_errors
    return document


def _service_paths() -> dict:
    """The service's own routes: the index, this document, health and the model."""
    not_ready = _error_response(
        "The model is loading (with Retry-After) or failed to load (without).", ["not_ready"], retry_after=True
    )
    return {
        "/": {
            "get": {
                "operationId": "index",
                "summary": "Links to the API's endpoints.",
                "responses": {"200": _ok("The endpoints.", {"$ref": "#/components/schemas/Index"})},
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {
                    "200": _ok("The OpenAPI 3.1 document.", {"type": "object", "required": ["openapi", "paths"]})
                },
            }
        },
        "/v1/health": {
            "get": {
                "operationId": "health",
                "summary": "Whether the model is loaded (always answers, never waits for the model).",
                "responses": {
                    "200": _ok("READY: the model is loaded.", {"$ref": "#/components/schemas/Health"}),
                    "503": _ok(
                        "STARTING (the model is loading) or FAILED (see `error`).",
                        {"$ref": "#/components/schemas/Health"},
                    ),
                },
            }
        },
        "/v1/model": {
            "get": {
                "operationId": "model",
                "summary": "The loaded model's metadata, the request limits and the accepted formats.",
                "responses": {
                    "200": _ok(
                        "Name, version, render size, training and validation figures, limits.",
                        {"$ref": "#/components/schemas/ModelInfo"},
                    ),
                    "503": not_ready,
                },
            }
        },
    }


def _colorize_paths(settings: Settings, max_hints: int) -> dict:
    """POST /v1/colorize: its options (model.options, as query parameters and form fields) and answers."""
    hints_description = (
        f"{HINTS.description} GET /v1/model says whether the model does (`supports_hints`, `max_hints`; this "
        "document gives the loaded model's limit); otherwise 422 hints_unsupported. Blank or `[]`: automatic "
        "colorization. Many hints fit better in a form field than in the query string (the request line is "
        "limited to about 8 KB)."
    )
    # Each option's schema (model.options, the one declaration), shared by the query parameter and the
    # form field. Blank means the default; an option may come in the query string or the form, not both
    # with different values.
    option_schemas = {option.name: option_schema(option) for option in COLORIZE_OPTIONS if option is not HINTS}
    hints_schema = {**_hints_schema(max_hints), "description": hints_description}
    query_parameters = [
        {"name": name, "in": "query", "required": False, "schema": schema} for name, schema in option_schemas.items()
    ] + [
        {
            "name": HINTS.name,
            "in": "query",
            "required": False,
            "description": hints_description,
            "content": {"application/json": {"schema": _hints_schema(max_hints)}},
        }
    ]
    image_description = (
        f"The image: {', '.join(INPUT_FORMATS)} (first frame of animations; EXIF orientation applied; "
        f"alpha kept). At most {settings.max_upload_bytes} bytes and {settings.max_pixels} pixels."
    )
    image_schema = {
        "type": "string",
        "contentMediaType": "image/*",
        "minLength": 1,
        "maxLength": settings.max_upload_bytes,
        "description": image_description,
    }
    return {
        "/v1/colorize": {
            "post": {
                "operationId": "colorize",
                "summary": "Colorize one image.",
                "description": "Send the image as the multipart file field `image`, or as the raw body "
                "with an image/* Content-Type. Options go in the query string or as form fields (a "
                "parameter given in both places with different values is 422 invalid_parameter).",
                "parameters": query_parameters,
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["image"],
                                "properties": {
                                    # application/octet-stream: OpenAPI 3.1's spelling of a file part
                                    # (one with a filename); `encoding` says which media types.
                                    "image": {**image_schema, "contentMediaType": "application/octet-stream"},
                                    **option_schemas,
                                    HINTS.name: hints_schema,
                                },
                            },
                            "encoding": {
                                "image": {"contentType": "image/*"},
                                HINTS.name: {"contentType": "application/json"},
                            },
                        },
                        "image/*": {"schema": image_schema},
                    },
                },
                "responses": {
                    "200": {
                        "description": "The colorized image, same width and height as the input.",
                        "headers": {
                            "Content-Disposition": _header(
                                'inline; filename="<original-stem>-colorized.<ext>"', {"type": "string"}
                            ),
                            "X-Model-Name": _header("Name of the model that colorized.", {"type": "string"}),
                            "X-Model-Version": _header("Version of that model.", {"type": "string"}),
                            "X-Inference-Ms": _header(
                                "Milliseconds spent colorizing (decode and encode excluded).", {"type": "number"}
                            ),
                            "X-Render-Size": _header("The render size used.", {"type": "integer"}),
                            "X-Input-Colour": _header(
                                "'colour' when the upload was already a colour photo (the spread of its "
                                "a*, b*: model.colour_input), else 'gray'. It is colorized from its gray "
                                "either way; a client may offer to keep the original instead.",
                                {"type": "string", "enum": ["colour", "gray"]},
                            ),
                            "X-Request-Id": _REQUEST_ID,
                        },
                        "content": {
                            output.media_type: {"schema": {"type": "string", "contentMediaType": output.media_type}}
                            for output in OUTPUT_FORMATS.values()
                        },
                    },
                    "400": _error_response(
                        "No image, one that cannot be decoded (zero bytes, truncated, not an image), or a "
                        "request that is not valid HTTP/1.1.",
                        ["missing_image", "invalid_image", "bad_request"],
                    ),
                    "413": _error_response(
                        "The upload is larger than the byte limit, or the form has too many parts.",
                        ["payload_too_large", "form_too_large"],
                    ),
                    "415": _error_response(
                        "Neither multipart/form-data nor an image/* body.", ["unsupported_media_type"]
                    ),
                    "422": _error_response(
                        "More pixels than the limit (checked before decoding), a parameter out of range or "
                        "malformed (`parameter` names it), or hints sent to a model that does not take them.",
                        ["image_too_large", "invalid_parameter", "hints_unsupported"],
                    ),
                    "503": _error_response(
                        "Busy (the wait queue is full; with Retry-After) or the model is not ready.",
                        ["busy", "not_ready"],
                        retry_after=True,
                    ),
                },
            }
        },
    }


def _components() -> dict:
    """The shared headers and schemas (the video routes' own among them: openapi_videos.py)."""
    return {
        "headers": {
            "Retry-After": _header(
                "Seconds to wait before retrying (busy; not_ready while the model loads).",
                {"type": "integer", "minimum": 1},
                required=False,
            ),
            "X-Request-Id": _header(
                "The request id: the client's X-Request-Id when it matches the pattern, else a new one "
                "(32 hex digits). It is in the log line and in error bodies too.",
                {"type": "string", "pattern": REQUEST_ID_PATTERN},
            ),
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "additionalProperties": False,
                "properties": {
                    "error": _object(
                        {
                            "code": {
                                "type": "string",
                                "description": "Stable, machine-readable (see each response for its codes).",
                            },
                            "message": {"type": "string", "description": "For people; may change."},
                            "parameter": {
                                "type": "string",
                                "description": "For invalid_parameter and hints_unsupported: which parameter.",
                            },
                            "request_id": {"type": "string", "pattern": REQUEST_ID_PATTERN},
                            "reason": {
                                "type": "string",
                                "description": "For invalid_video: what is wrong with the file (not_a_video, "
                                "truncated, no_video_stream, no_frames, decode_failed).",
                            },
                            "state": {
                                "type": "string",
                                "description": "For job_not_done: the video job's state.",
                            },
                        },
                        required=["code", "message", "request_id"],
                    )
                },
            },
            "Hint": _object(
                {
                    "x": {"type": "number", "minimum": 0, "maximum": 1, "description": "From the left, 0..1."},
                    "y": {"type": "number", "minimum": 0, "maximum": 1, "description": "From the top, 0..1."},
                    "color": {
                        "type": "string",
                        "pattern": "^#[0-9a-fA-F]{6}$",
                        "description": "The colour that spot should have, sRGB '#rrggbb' (only its hue and "
                        "saturation are used; the photo keeps its lightness).",
                    },
                    "reach": {
                        "type": "string",
                        "enum": list(REACHES),
                        "default": DEFAULT_REACH,
                        "description": "How far the colour spreads from the spot: 'small' keeps it to the "
                        "object under it, 'medium' a little further, 'whole' the whole region up to its "
                        "lightness edges. Each is a share of the propagation's fade distance.",
                    },
                },
                required=["x", "y", "color"],
            ),
            "Index": _object(
                {
                    "service": {"type": "string"},
                    "endpoints": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                required=["service", "endpoints"],
            ),
            "Limits": _object(
                {
                    "max_upload_bytes": {"type": "integer", "description": "Largest accepted image file."},
                    "max_pixels": {"type": "integer", "description": "Largest accepted width x height."},
                    "render_size": _object(
                        {"min": {"type": "integer"}, "max": {"type": "integer"}}, required=["min", "max"]
                    ),
                    "vibrance": _object(
                        {"min": {"type": "number"}, "max": {"type": "number"}, "default": {"type": "number"}},
                        required=["min", "max", "default"],
                    ),
                    "video": {"$ref": "#/components/schemas/VideoLimits"},
                },
                required=["max_upload_bytes", "max_pixels", "render_size", "vibrance", "video"],
                description="The request limits in force (the same on /v1/health and /v1/model).",
            ),
            "Batching": _object(
                {
                    "wait_ms": {"type": "number"},
                    "max_batch": {"type": "integer"},
                    "forwards": {"type": "integer"},
                    "images": {"type": "integer"},
                    "largest_batch": {"type": "integer"},
                },
                description="Micro-batching of concurrent requests (wait_ms 0: off) and what it did.",
            ),
            "Health": _object(
                {
                    "status": {"type": "string", "enum": ["STARTING", "READY", "FAILED"]},
                    "uptime_s": {"type": "number"},
                    "queue": _object(
                        {
                            "capacity": {"type": "integer", "description": "Running plus waiting places."},
                            "in_use": {"type": "integer"},
                        },
                        required=["capacity", "in_use"],
                    ),
                    "limits": {"$ref": "#/components/schemas/Limits"},
                    "model": _object({"name": {"type": "string"}, "version": {"type": "string"}}),
                    **_RUNS_ON,
                    "load_ms": {"type": "number"},
                    "error": {"type": "string", "description": "Why the model failed to load."},
                },
                required=["status", "uptime_s", "queue", "limits"],
            ),
            "ModelInfo": _object(
                {
                    "name": {"type": "string"},
                    "version": {"type": "string"},
                    "format_version": {"type": "integer"},
                    "render_size": {"type": "integer", "description": "The default render size."},
                    "generator": {"type": "object", "description": "The network's shape."},
                    "lab": {"type": "object", "description": "The Lab scaling the model was trained with."},
                    "training": {
                        "type": "object",
                        "description": "How the model was trained: its figures only (no text, no file names).",
                    },
                    "metrics": {"type": "object", "description": "Validation metrics (figures only)."},
                    "weights_sha256": {
                        "type": ["string", "null"],
                        "pattern": "^[0-9a-f]{64}$",
                        "description": "SHA-256 of the model's weights as stored in its artifact (null: unknown, "
                        "e.g. an ONNX file served without its artifact).",
                    },
                    "supports_hints": {
                        "type": "boolean",
                        "description": "Whether the model takes colour hints (the `hints` parameter).",
                    },
                    "max_hints": {
                        "type": "integer",
                        "description": "Most hints one request may carry (0 when the model takes none).",
                    },
                    **_RUNS_ON,
                    "limits": {"$ref": "#/components/schemas/Limits"},
                    "input_formats": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Accepted image formats (Pillow's names).",
                    },
                    "input_media_types": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "The same formats as media types (e.g. for a file picker's accept).",
                    },
                    "input_extensions": {
                        "type": "array",
                        "items": {"type": "string", "pattern": "^\\.[a-z0-9]+$"},
                        "description": "The usual file name extensions of those formats.",
                    },
                    "output_formats": {"type": "array", "items": {"type": "string"}},
                    "videos": {"$ref": "#/components/schemas/VideoCapabilities"},
                },
                required=[
                    "name",
                    "version",
                    "format_version",
                    "render_size",
                    "generator",
                    "lab",
                    "training",
                    "metrics",
                    "weights_sha256",
                    "supports_hints",
                    "max_hints",
                    "backend",
                    "device",
                    "batching",
                    "limits",
                    "input_formats",
                    "input_media_types",
                    "input_extensions",
                    "output_formats",
                    "videos",
                ],
            ),
            **video_schemas(_object),
        },
    }


def served_document() -> dict:
    """The document a service with the default settings serves once the shipped model is loaded.

    What docs/openapi/service.json holds (scripts/openapi.sh writes it; tests/service/
    test_committed_openapi.py fails when the two differ).
    """
    from model.artifact import DEFAULT_ARTIFACT_PATH
    from model.colorizer import Colorizer

    return build_openapi(Settings.from_sources(environ={}), Colorizer.load(DEFAULT_ARTIFACT_PATH, threads=1))


if __name__ == "__main__":
    import json
    import sys

    json.dump(served_document(), sys.stdout, indent=2)
    sys.stdout.write("\n")
