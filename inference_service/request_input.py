"""What every route reads from a request the same way: single-valued parameters, and the body.

Shared by the photo routes (routes.py) and the film routes (video_routes.py), so that a
repeated parameter, a bad value, a malformed chunked body and a stalled upload get the
same answer wherever they arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.datastructures import MultiDict

from inference_service.errors import ApiError

try:  # gunicorn's parser raises these while the app reads a malformed chunked body
    from gunicorn.http.errors import ParseException as _SERVER_PARSE_ERRORS
except ImportError:  # served by something else (tests, another WSGI server)
    _SERVER_PARSE_ERRORS = ()


def invalid_parameter(name: str, message: str) -> ApiError:
    """422 invalid_parameter naming the parameter."""
    return ApiError(422, "invalid_parameter", message, parameter=name)


def single_value(values: MultiDict, name: str) -> str | None:
    """The parameter's value, None when absent or blank (a blank form field means "default")."""
    given = [value.strip() for value in values.getlist(name)]
    given = [value for value in given if value]
    if len(set(given)) > 1:
        raise invalid_parameter(name, f"'{name}' was given more than once with different values.")
    return given[0] if given else None


@contextmanager
def reading_body() -> Iterator[None]:
    """Body-reading failures as client errors: a malformed chunked body is 400; a client that
    stalls mid-upload (the worker's socket timeout) or vanishes gets 408; neither is a 500."""
    try:
        yield
    except _SERVER_PARSE_ERRORS as error:
        raise ApiError(
            400,
            "bad_request",
            "The request body is not valid HTTP (its chunked encoding is malformed).",
            headers={"Connection": "close"},
        ) from error
    except OSError as error:
        raise ApiError(
            408,
            "request_timeout",
            "The upload stalled or was cut off before it was complete.",
            headers={"Connection": "close"},
        ) from error
