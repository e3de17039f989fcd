"""Every failure leaves the service as the same JSON shape: {"error": {"code", "message", ...}}.

`ApiError` is what the service's own code raises; the handlers registered by
`register_error_handlers` turn it, Werkzeug's HTTP errors (404, 405, 413...)
and any unexpected exception into that shape, so a client never sees an HTML
page or a stack trace.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

logger = logging.getLogger("inference_service.errors")

# Stable codes for the HTTP errors Werkzeug and gunicorn raise themselves (routing,
# body limits, unparsable requests...).
HTTP_ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    411: "length_required",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    417: "expectation_failed",
    431: "request_header_fields_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "unavailable",
}


class ApiError(Exception):
    """An error the client should see: HTTP status, stable code, human message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        **details: object,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details


def error_response(error: ApiError) -> Response:
    """The JSON response for an ApiError; the request id is included so users can quote it."""
    body: dict[str, object] = {"code": error.code, "message": error.message, **error.details}
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    # The request log line reports which error code the request ended with.
    g.error_code = error.code
    response = jsonify({"error": body})
    response.status_code = error.status
    response.headers.update(error.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def _from_http_exception(error: HTTPException) -> ApiError:
    status = error.code or 500
    code = HTTP_ERROR_CODES.get(status, f"http_{status}")
    headers = {}
    if status == 405:
        allowed = dict(error.get_headers()).get("Allow")
        if allowed:
            headers["Allow"] = allowed
    if status == 413:
        return _too_large_error()
    elif status == 404:
        message = "No such endpoint; see /openapi.json for the API."
    else:
        message = error.description or error.name
    return ApiError(status, code, message, headers)


def _too_large_error() -> ApiError:
    """Werkzeug's 413 means one of three limits: say which kind, truthfully."""
    limit = current_app.extensions["colorizer"].settings.max_upload_bytes
    declared = request.content_length
    if declared is None or declared > (current_app.config.get("MAX_CONTENT_LENGTH") or declared):
        return ApiError(413, "payload_too_large", f"The upload is larger than the limit of {limit} bytes.")
    # Within the size limit, so the multipart form itself was refused (Werkzeug raises the
    # same exception for both of these and does not say which one it was).
    return ApiError(
        413,
        "form_too_large",
        f"The form has more than {current_app.config['MAX_FORM_PARTS']} parts or a text field larger than "
        f"{current_app.config['MAX_FORM_MEMORY_SIZE']} bytes: send the image as the file field 'image' and the "
        "options as short fields.",
    )


def register_error_handlers(app: Flask) -> None:
    """Install the JSON error handlers on `app` (all routes, including unknown ones)."""

    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError) -> Response:
        return error_response(error)

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException) -> Response:
        return error_response(_from_http_exception(error))

    @app.errorhandler(Exception)
    def handle_unexpected(_error: Exception) -> Response:
        logger.exception("unhandled error", extra={"fields": {"request_id": g.get("request_id")}})
        return error_response(
            ApiError(500, "internal_error", "An unexpected error occurred; the request id identifies it in the logs.")
        )
