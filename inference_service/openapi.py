"""The OpenAPI 3.1 description of the service, served at GET /openapi.json.

Built from the live settings so the documented limits are the enforced ones.
A test validates the document and checks that every route of the app is in it.
"""

from __future__ import annotations

from typing import Any

from inference_service.config import MAX_RENDER_SIZE, MIN_RENDER_SIZE, Settings
from inference_service.imaging import DEFAULT_QUALITY, INPUT_FORMATS, OUTPUT_FORMATS
from model.colorizer import MAX_VIBRANCE, MIN_VIBRANCE
from model.hints import MAX_HINTS

API_VERSION = "1.1.0"


def _error_response(description: str, codes: list[str], retry_after: bool = False) -> dict:
    response: dict = {
        "description": f"{description} Codes: {', '.join(codes)}.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if retry_after:
        response["headers"] = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
    return response


def _header(description: str, schema: dict) -> dict:
    return {"description": description, "schema": schema}


def build_openapi(settings: Settings) -> dict:
    """The whole document as a JSON-ready dict."""
    formats = [*list(OUTPUT_FORMATS), "jpg"]
    option_properties = {
        "render_size": {
            "type": "integer",
            "minimum": MIN_RENDER_SIZE,
            "maximum": MAX_RENDER_SIZE,
            "description": "Short side, in pixels, of the image the model sees (default: the model's "
            "render size). The output always has the input's size.",
        },
        "format": {"type": "string", "enum": formats, "default": "png", "description": "Output encoding."},
        "quality": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100,
            "default": DEFAULT_QUALITY,
            "description": "Encoder quality for jpeg and webp (validated, but unused, for png).",
        },
        "hints": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"type": "array", "maxItems": MAX_HINTS, "items": {"$ref": "#/components/schemas/Hint"}},
            "description": f"Colour hints, a JSON array of at most {MAX_HINTS} objects "
            '`{"x": 0.25, "y": 0.6, "color": "#a03020"}`: this spot should be this colour, and the region '
            "around it follows, up to its edges. x from the left, y from the top, 0..1 relative to the image "
            "as oriented by EXIF. Only for a model that takes hints (GET /v1/model: `supports_hints`); "
            "otherwise 422 hints_unsupported. Blank or `[]`: automatic colorization. Many hints fit better in "
            "a form field than in the query string (URLs are limited to about 8 KB).",
            "examples": ['[{"x": 0.25, "y": 0.6, "color": "#a03020"}]'],
        },
        "vibrance": {
            "type": "number",
            "minimum": MIN_VIBRANCE,
            "maximum": MAX_VIBRANCE,
            "default": 1,
            "description": "Scales the colours' saturation (a*, b*): 0 gives the grayscale image, 1 the "
            "model's colours, 2 twice as saturated (clipped to sRGB).",
        },
    }
    image_description = (
        f"The image: {', '.join(INPUT_FORMATS)} (first frame of animations; EXIF orientation applied; "
        f"alpha kept). At most {settings.max_upload_bytes} bytes and {settings.max_pixels} pixels."
    )
    not_ready = _error_response("The model is loading (with Retry-After) or failed to load.", ["not_ready"], True)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Colorizer inference service",
            "version": API_VERSION,
            "description": "Colorizes grayscale photos: the result keeps the input's size and lightness "
            'and adds plausible colour. Every error is JSON: {"error": {"code", "message"}}.',
        },
        "paths": {
            "/": {
                "get": {
                    "operationId": "index",
                    "summary": "Links to the API's endpoints.",
                    "responses": {
                        "200": {
                            "description": "The endpoints.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/v1/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the model is loaded (always answers).",
                    "responses": {
                        "200": {
                            "description": "READY: the model is loaded.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
                        },
                        "503": {
                            "description": "STARTING (the model is loading) or FAILED (see `error`).",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
                        },
                    },
                }
            },
            "/v1/model": {
                "get": {
                    "operationId": "model",
                    "summary": "The loaded model's metadata and the request limits.",
                    "responses": {
                        "200": {
                            "description": "Name, version, render size, training description, validation metrics.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelInfo"}}},
                        },
                        "503": not_ready,
                    },
                }
            },
            "/v1/colorize": {
                "post": {
                    "operationId": "colorize",
                    "summary": "Colorize one image.",
                    "description": "Send the image as the multipart file field `image`, or as the raw body "
                    "with an image/* Content-Type. Options go in the query string or as form fields.",
                    "parameters": [
                        {"name": name, "in": "query", "required": False, "schema": schema}
                        for name, schema in option_properties.items()
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["image"],
                                    "properties": {
                                        "image": {
                                            "type": "string",
                                            "contentMediaType": "application/octet-stream",
                                            "description": image_description,
                                        },
                                        **option_properties,
                                    },
                                }
                            },
                            "image/*": {
                                "schema": {
                                    "type": "string",
                                    "contentMediaType": "image/*",
                                    "description": image_description,
                                }
                            },
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
                                "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
                            },
                            "content": {
                                output.media_type: {"schema": {"type": "string", "contentMediaType": output.media_type}}
                                for output in OUTPUT_FORMATS.values()
                            },
                        },
                        "400": _error_response(
                            "No image, or one that cannot be decoded (zero bytes, truncated, not an image).",
                            ["missing_image", "invalid_image"],
                        ),
                        "413": _error_response("The upload is larger than the byte limit.", ["payload_too_large"]),
                        "415": _error_response(
                            "Neither multipart/form-data nor an image/* body.", ["unsupported_media_type"]
                        ),
                        "422": _error_response(
                            "More pixels than the limit (checked before decoding), a parameter out of range or "
                            "malformed (`parameter` names it), or hints sent to a model that does not take them.",
                            ["image_too_large", "invalid_parameter", "hints_unsupported"],
                        ),
                        "503": _error_response(
                            "Busy (the wait queue is full) or the model is not ready.", ["busy", "not_ready"], True
                        ),
                    },
                }
            },
        },
        "components": {
            "headers": {
                "Retry-After": _header("Seconds to wait before retrying.", {"type": "integer"}),
                "X-Request-Id": _header(
                    "The request id: the client's X-Request-Id when it sent a valid one, else a new one.",
                    {"type": "string"},
                ),
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {
                                    "type": "string",
                                    "description": "Stable, machine-readable: missing_image, invalid_image, "
                                    "payload_too_large, unsupported_media_type, image_too_large, "
                                    "invalid_parameter, hints_unsupported, busy, not_ready, not_found, "
                                    "method_not_allowed, internal_error.",
                                },
                                "message": {"type": "string", "description": "For people; may change."},
                                "parameter": {
                                    "type": "string",
                                    "description": "For invalid_parameter and hints_unsupported: which parameter.",
                                },
                                "request_id": {"type": "string"},
                            },
                        }
                    },
                },
                "Hint": {
                    "type": "object",
                    "required": ["x", "y", "color"],
                    "additionalProperties": False,
                    "properties": {
                        "x": {"type": "number", "minimum": 0, "maximum": 1, "description": "From the left, 0..1."},
                        "y": {"type": "number", "minimum": 0, "maximum": 1, "description": "From the top, 0..1."},
                        "color": {
                            "type": "string",
                            "pattern": "^#[0-9a-fA-F]{6}$",
                            "description": "The colour that spot should have, sRGB '#rrggbb' (only its hue and "
                            "saturation are used; the photo keeps its lightness).",
                        },
                    },
                },
                "Health": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {
                        "status": {"type": "string", "enum": ["STARTING", "READY", "FAILED"]},
                        "model": {
                            "type": "object",
                            "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
                        },
                        "backend": {
                            "type": "string",
                            "enum": ["onnx", "torch"],
                            "description": "What runs the network.",
                        },
                        "device": {"type": "string"},
                        "batching": {
                            "type": "object",
                            "description": "Micro-batching of concurrent requests (wait_ms 0: off) and what it did.",
                            "properties": {
                                "wait_ms": {"type": "number"},
                                "max_batch": {"type": "integer"},
                                "forwards": {"type": "integer"},
                                "images": {"type": "integer"},
                                "largest_batch": {"type": "integer"},
                            },
                        },
                        "error": {"type": "string", "description": "Why the model failed to load."},
                        "load_ms": {"type": "number"},
                        "uptime_s": {"type": "number"},
                        "queue": {
                            "type": "object",
                            "properties": {
                                "capacity": {"type": "integer", "description": "Running plus waiting places."},
                                "in_use": {"type": "integer"},
                            },
                        },
                    },
                },
                "ModelInfo": {
                    "type": "object",
                    "required": [
                        "name",
                        "version",
                        "render_size",
                        "training",
                        "metrics",
                        "weights_sha256",
                        "supports_hints",
                        "max_hints",
                    ],
                    "properties": {
                        "name": {"type": "string"},
                        "version": {"type": "string"},
                        "render_size": {"type": "integer", "description": "The default render size."},
                        "supports_hints": {
                            "type": "boolean",
                            "description": "Whether the model takes colour hints (the `hints` parameter).",
                        },
                        "max_hints": {
                            "type": "integer",
                            "description": "Most hints one request may carry (0 when the model takes none).",
                        },
                        "training": {"type": "object", "description": "How the model was trained, on what."},
                        "metrics": {"type": "object", "description": "Validation metrics."},
                        "weights_sha256": {
                            "type": ["string", "null"],
                            "pattern": "^[0-9a-f]{64}$",
                            "description": "SHA-256 of the model's weights as stored in its artifact (null: unknown, "
                            "e.g. an ONNX file served without its artifact).",
                        },
                        "format_version": {"type": "integer"},
                        "generator": {"type": "object"},
                        "lab": {"type": "object"},
                        "backend": {
                            "type": "string",
                            "enum": ["onnx", "torch"],
                            "description": "What runs the network.",
                        },
                        "device": {"type": "string"},
                        "batching": {
                            "type": "object",
                            "description": "Micro-batching of concurrent requests (wait_ms 0: off) and what it did.",
                            "properties": {
                                "wait_ms": {"type": "number"},
                                "max_batch": {"type": "integer"},
                                "forwards": {"type": "integer"},
                                "images": {"type": "integer"},
                                "largest_batch": {"type": "integer"},
                            },
                        },
                        "limits": {
                            "type": "object",
                            "description": "max_upload_bytes, max_pixels, and the ranges of render_size and vibrance.",
                        },
                        "input_formats": {"type": "array", "items": {"type": "string"}},
                        "output_formats": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    }
    # Unknown paths, wrong methods and unexpected failures answer JSON too.
    other_errors = _error_response("Any other error.", ["not_found", "method_not_allowed", "internal_error"])
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"]["default"] = other_errors
    return document
