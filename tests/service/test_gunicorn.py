"""The service as deployed: a real gunicorn process with the project's config, on a free port."""

from __future__ import annotations

import io
import json
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import requests
from PIL import Image
from skimage import color

from tests.conftest import make_photo
from tests.processes import log_lines as _log_lines
from tests.service.conftest import UPLOAD_LIMIT_OVER_HTTP as UPLOAD_LIMIT, encode


def _lightness(image: Image.Image) -> np.ndarray:
    return color.rgb2lab(np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0)[..., 0]


def test_health_and_model_over_http(server):
    base, _, _ = server
    health = requests.get(f"{base}/v1/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "READY"
    assert health.headers["Server"].startswith("gunicorn")
    model = requests.get(f"{base}/v1/model", timeout=10).json()
    assert (model["name"], model["version"], model["render_size"]) == ("tiny-test-colorizer", "0.0.1", 64)


def test_colorize_over_http_keeps_size_and_lightness(server):
    base, log_path, _ = server
    gray = make_photo(160, 120, seed=11).convert("L")
    response = requests.post(
        f"{base}/v1/colorize",
        files={"image": ("family.jpg", encode(gray, "JPEG", quality=95), "image/jpeg")},
        data={"format": "png"},
        headers={"X-Request-Id": "gunicorn-test-1"},
        timeout=30,
    )
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == 'inline; filename="family-colorized.png"'
    assert response.headers["X-Request-Id"] == "gunicorn-test-1"
    result = Image.open(io.BytesIO(response.content))
    assert result.size == (160, 120) and result.mode == "RGB"
    decoded_input = Image.open(io.BytesIO(encode(gray, "JPEG", quality=95)))
    assert np.median(np.abs(_lightness(result) - _lightness(decoded_input))) < 1.0
    # The request's structured log line, written by the worker that served it.
    deadline = time.monotonic() + 5
    while not [line for line in _log_lines(log_path) if line.get("request_id") == "gunicorn-test-1"]:
        assert time.monotonic() < deadline, "no log line for the request"
        time.sleep(0.05)
    (line,) = [line for line in _log_lines(log_path) if line.get("request_id") == "gunicorn-test-1"]
    assert line["status"] == 200 and (line["input_width"], line["input_height"]) == (160, 120)
    assert line["render_size"] == 64 and line["inference_ms"] > 0


def test_raw_body_and_jpeg_output_over_http(server):
    base, _, _ = server
    png = encode(make_photo(70, 50).convert("L"), "PNG")
    response = requests.post(
        f"{base}/v1/colorize?format=jpeg&quality=80&render_size=96",
        data=png,
        headers={"Content-Type": "image/png"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.headers["X-Render-Size"] == "96"
    assert Image.open(io.BytesIO(response.content)).format == "JPEG"


@pytest.mark.parametrize(
    ("send", "status", "code"),
    [
        (lambda base: requests.get(f"{base}/nowhere", timeout=10), 404, "not_found"),
        (lambda base: requests.delete(f"{base}/v1/colorize", timeout=10), 405, "method_not_allowed"),
        (
            lambda base: requests.post(
                f"{base}/v1/colorize", data=b"text", headers={"Content-Type": "image/jpeg"}, timeout=10
            ),
            400,
            "invalid_image",
        ),
        (
            lambda base: requests.post(
                f"{base}/v1/colorize", files={"image": ("x.jpg", b"\xff" * (UPLOAD_LIMIT * 3))}, timeout=30
            ),
            413,
            "payload_too_large",
        ),
        (
            lambda base: requests.post(
                f"{base}/v1/colorize?render_size=5", data=b"x", headers={"Content-Type": "image/png"}, timeout=10
            ),
            422,
            "invalid_parameter",
        ),
    ],
    ids=["404", "405", "400", "413", "422"],
)
def test_errors_over_http_are_json(server, send, status, code):
    base, _, _ = server
    response = send(base)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code
    assert requests.get(f"{base}/v1/health", timeout=10).status_code == 200


def test_sixty_four_hints_fit_in_the_query_string(server):
    """gunicorn's request-line limit leaves room for the API's most hints, URL-encoded."""
    base, _, _ = server
    hints = [{"x": round(0.123457 + i / 100, 6), "y": 0.987654, "color": "#a03020"} for i in range(64)]
    url = requests.Request("POST", f"{base}/v1/colorize", params={"hints": json.dumps(hints)}).prepare().url
    assert url is not None
    assert len(url) > 4094  # longer than gunicorn's default limit
    response = requests.post(url, data=b"x", headers={"Content-Type": "image/png"}, timeout=10)
    # The app read the hints: the tiny model takes none, so it says so (not a protocol error).
    assert response.status_code == 422, response.text[:300]
    assert response.json()["error"]["code"] == "hints_unsupported"


def _post_jpeg(base: str, jpeg: bytes) -> requests.Response:
    return requests.post(f"{base}/v1/colorize", data=jpeg, headers={"Content-Type": "image/jpeg"}, timeout=60)


def test_concurrent_clients_within_the_queue_are_all_served(server):
    base, _, process = server
    jpeg = encode(make_photo(128, 96).convert("L"), "JPEG")
    # 3 at once fit even if one worker accepts them all: 1 running + QUEUE_SIZE (2) waiting.
    with ThreadPoolExecutor(3) as pool:
        statuses = [response.status_code for response in pool.map(lambda _: _post_jpeg(base, jpeg), range(9))]
    assert statuses == [200] * 9
    assert process.poll() is None


def test_a_burst_beyond_the_queue_is_served_or_refused_as_busy(server):
    base, _, process = server
    jpeg = encode(make_photo(256, 256).convert("L"), "JPEG")
    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(lambda _: _post_jpeg(base, jpeg), range(12)))
    for response in responses:
        if response.status_code != 200:
            assert response.status_code == 503
            assert response.json()["error"]["code"] == "busy"
            assert int(response.headers["Retry-After"]) >= 1
    assert any(response.status_code == 200 for response in responses)
    assert requests.get(f"{base}/v1/health", timeout=10).status_code == 200
    assert process.poll() is None
