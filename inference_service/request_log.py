"""Request ids and one structured (JSON) log line per request.

A sane `X-Request-Id` from the client (or the gateway) is kept, otherwise one is
made; either way it is echoed in the response and appears in the log line and
in error bodies, so one id follows a request through every component.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import TextIO

from flask import Flask, Response, g, request

REQUEST_ID_HEADER = "X-Request-Id"
# A client's id is kept when it matches: printable, header-safe and short; anything else
# is replaced rather than logged verbatim. The gateway (gateway/src/logger.js) accepts
# and makes ids of exactly this form, and both OpenAPI documents state it; the
# tests (both reading tests/fixtures/request_ids.json) check that the two sides agree.
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:/+=@-]{1,128}$"
_VALID_REQUEST_ID = re.compile(REQUEST_ID_PATTERN)


def is_valid_request_id(value: str) -> bool:
    """Whether a client's id is kept (fullmatch: `$` alone would let a trailing newline through)."""
    return _VALID_REQUEST_ID.fullmatch(value) is not None


def new_request_id() -> str:
    """A fresh id: 32 lowercase hex digits (a random UUID without its dashes)."""
    return uuid.uuid4().hex


request_logger = logging.getLogger("inference_service.requests")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            # Which gunicorn worker wrote the line: each has its own model and queue.
            "pid": record.process,
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (test runners and gunicorn may swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(level: str) -> None:
    """Give the service's loggers one JSON handler on stderr (idempotent: create_app may run twice)."""
    package_logger = logging.getLogger("inference_service")
    package_logger.setLevel(level)
    if not any(isinstance(handler, _StderrHandler) for handler in package_logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        package_logger.addHandler(handler)
    # The lines are already written here; passing them to the root logger would print them twice.
    package_logger.propagate = False


def log_field(**fields: object) -> None:
    """Add fields to this request's log line (input size, render size, timings...)."""
    g.log_fields.update(fields)


def install_request_logging(app: Flask) -> None:
    """Assign the request id before each request; echo it and write the log line after."""

    @app.before_request
    def start_request() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if is_valid_request_id(incoming) else new_request_id()
        g.request_started = time.perf_counter()
        g.log_fields = {}

    @app.after_request
    def finish_request(response: Response) -> Response:
        request_id = g.get("request_id") or new_request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started", time.perf_counter())
        fields = {
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "remote_addr": request.remote_addr,
            "request_bytes": request.content_length,
            "response_bytes": response.calculate_content_length(),
        }
        if g.get("error_code"):
            fields["error_code"] = g.error_code
        fields.update(g.get("log_fields", {}))
        request_logger.info("request", extra={"fields": fields})
        return response
