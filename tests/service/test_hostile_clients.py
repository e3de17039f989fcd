"""The service under hostile clients, over real sockets to the real gunicorn: slow
connections, and requests gunicorn's parser refuses before the app runs."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from benchmarks.slow_clients import SlowClients
from tests.conftest import make_photo
from tests.service.conftest import encode

# More than the old gthread worker's threads (2 workers x 5 at this queue size): each held one.
SLOW_CONNECTIONS = 24
PROBE_LIMIT_S = 1.0


def _address(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


@pytest.mark.parametrize("mode", ["headers", "body"])
def test_slow_connections_do_not_hold_up_health_or_colorize(server, mode):
    base, _, process = server
    jpeg = encode(make_photo(96, 64).convert("L"), "JPEG")
    usual = time.perf_counter()
    requests.post(f"{base}/v1/colorize", data=jpeg, headers={"Content-Type": "image/jpeg"}, timeout=30)
    usual = time.perf_counter() - usual
    # (An upload under the server's limit: a larger one is refused before its body is read.)
    with SlowClients(*_address(base), SLOW_CONNECTIONS, mode, interval_s=0.3, duration_s=10, body_bytes=100_000):
        time.sleep(0.5)  # every slow connection accepted and sending
        for _ in range(3):
            began = time.perf_counter()
            health = requests.get(f"{base}/v1/health", timeout=5)
            assert health.status_code == 200
            assert time.perf_counter() - began < PROBE_LIMIT_S
        began = time.perf_counter()
        colorized = requests.post(f"{base}/v1/colorize", data=jpeg, headers={"Content-Type": "image/jpeg"}, timeout=30)
        assert colorized.status_code == 200
        assert time.perf_counter() - began < usual + PROBE_LIMIT_S
    assert process.poll() is None


def _exchange(base: str, data: bytes) -> bytes:
    """Send raw bytes, read until the server closes (a timeout: it kept the connection open)."""
    with socket.create_connection(_address(base), timeout=10) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def _parts(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    """One HTTP answer as (status, headers, body)."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def _raw(base: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
    return _parts(_exchange(base, data))


PROTOCOL_ERRORS = {
    "over-long URL": (b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
    # A film job whose options keep to the schema but whose query string is too long as a whole
    # (the document lists 414 on every operation: a contract tester sends such requests).
    "over-long query on POST /v1/videos": (
        b"POST /v1/videos?crf=18&vibrance=1" + b"&x=1" * 2100 + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        414,
        "uri_too_long",
    ),
    "over-long header": (
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
        431,
        "request_header_fields_too_large",
    ),
    "too many headers": (
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(120)) + b"\r\n",
        431,
        "request_header_fields_too_large",
    ),
    "garbage request line": (b"HELLO THERE\r\n\r\n", 400, "bad_request"),
    "Content-Length and Transfer-Encoding": (
        b"POST /v1/colorize HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
        "bad_request",
    ),
    # Dropped (and the request read by its Content-Length) by gunicorn's default; a proxy
    # that took it for Transfer-Encoding would frame the request otherwise.
    "underscore Transfer_Encoding": (
        b"POST /v1/colorize HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer_Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
        "bad_request",
    ),
    "negative Content-Length": (
        b"POST /v1/colorize HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        400,
        "bad_request",
    ),
    "bare LF line endings": (b"GET /v1/health HTTP/1.1\nHost: x\n\n", 400, "bad_request"),
    "malformed chunked body": (
        (
            b"POST /v1/colorize HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"
        ),
        400,
        "bad_request",
    ),
}


@pytest.mark.parametrize("case", list(PROTOCOL_ERRORS), ids=list(PROTOCOL_ERRORS))
def test_protocol_errors_are_json_with_a_stable_code(server, case):
    base, _, _ = server
    data, status, code = PROTOCOL_ERRORS[case]
    answered, headers, body = _raw(base, data)
    assert answered == status
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["code"] == code and error["message"] and error["request_id"] == headers["x-request-id"]
    # Nothing of the request (or of the server) is echoed back.
    assert b"aaaa" not in body and b"bbbb" not in body and b"HELLO" not in body and b"<" not in body


SMUGGLED = b"GET /v1/model HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 5\r\nTransfer-Encoding: chunked",
        b"Transfer-Encoding: chunked\r\nContent-Length: 5",
        b"Content-Length: 0\r\nTransfer-Encoding: chunked",
    ],
    ids=["CL then TE", "TE then CL", "CL 0 and TE"],
)
@pytest.mark.parametrize("connection", [b"keep-alive", b"close"])
def test_content_length_with_transfer_encoding_gets_one_400_and_a_closed_connection(server, framing, connection):
    """The smuggling shape: one answer, 400 JSON, then the server closes; the request hidden after it is never run."""
    base, _, _ = server
    request = (
        b"POST /v1/health HTTP/1.1\r\nHost: x\r\nConnection: " + connection + b"\r\n" + framing + b"\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED
    )
    answer = _exchange(base, request)
    status_lines = [line for line in answer.split(b"\r\n") if line.startswith(b"HTTP/1.")]
    assert len(status_lines) == 1, answer
    status, headers, body = _parts(answer)
    assert status == 400 and headers["connection"].lower() == "close"
    assert json.loads(body)["error"]["code"] == "bad_request"
    assert b'"name"' not in answer, "the smuggled GET /v1/model was answered"
