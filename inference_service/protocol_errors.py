"""gunicorn's own error answers (before the app runs) as the service's JSON errors.

gunicorn answers what it cannot parse itself: an over-long request line (414),
too many or too large headers (431), a garbage request line, conflicting
Content-Length and Transfer-Encoding, a negative Content-Length or bare-LF line
endings (400), an unsupported transfer coding (501). By default with an HTML
page that echoes part of the request. `install` replaces that page with the
same `{"error": {...}}` body the app sends; the detail goes to the log only.

`refuse_ambiguous_framing` is the same refusal once more inside the app, for a
server or parser in front of it that let such a request through: a request
that says both how long it is and that it is chunked can be read two ways (the
shape of request smuggling), so it is answered 400 and its connection closed,
and nothing after it on that connection is read.
"""

from __future__ import annotations

import json
import logging
import socket

from flask import Flask, request
from gunicorn import util

from inference_service.errors import HTTP_ERROR_CODES, ApiError
from inference_service.request_log import new_request_id

logger = logging.getLogger("inference_service.requests")

_MESSAGES = {
    400: "The request is not valid HTTP (its request line, headers, Content-Length or Transfer-Encoding).",
    403: "The request was refused.",
    414: "The request line (method, path and query) is too long.",
    417: "The Expect header is not supported.",
    431: "The request has too many headers or a header that is too large.",
    500: "An unexpected error occurred; the request id identifies it in the logs.",
    501: "The request uses a transfer coding the service does not support.",
}


def json_error_response(status: int, reason: str) -> tuple[bytes, str, str]:
    """A complete HTTP/1.1 response (it closes the connection) with a JSON error body; also its code and request id."""
    code = HTTP_ERROR_CODES.get(status, f"http_{status}")
    request_id = new_request_id()
    body = json.dumps(
        {"error": {"code": code, "message": _MESSAGES.get(status, reason), "request_id": request_id}}
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-store\r\n"
        f"X-Request-Id: {request_id}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body, code, request_id


def _write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    response, code, request_id = json_error_response(status_int, reason)
    # gunicorn's message (which may quote the request) stays in the log.
    logger.info(
        "protocol error",
        extra={"fields": {"request_id": request_id, "status": status_int, "error_code": code, "detail": mesg[:500]}},
    )
    util.write_nonblock(sock, response)


def install() -> None:
    """Make this process's gunicorn worker answer its own errors as JSON (call it in post_fork)."""
    util.write_error = _write_json_error


def refuse_ambiguous_framing(app: Flask) -> None:
    """Answer 400 bad_request, closing the connection, to a request with both Content-Length and Transfer-Encoding."""

    @app.before_request
    def _one_framing_only() -> None:
        if request.environ.get("HTTP_TRANSFER_ENCODING") is not None and request.environ.get("CONTENT_LENGTH"):
            raise ApiError(
                400,
                "bad_request",
                "The request has both Content-Length and Transfer-Encoding: send one of them.",
                headers={"Connection": "close"},
            )
