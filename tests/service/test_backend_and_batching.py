"""The backend the service runs and its batching of concurrent requests (CPU torch backend)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from inference_service.config import ConfigError, Settings
from tests.conftest import make_photo
from tests.service.conftest import encode, make_service


def test_health_and_model_name_the_backend(client):
    health = client.get("/v1/health").get_json()
    # The tiny test artifact has no .onnx file beside it: auto falls back to torch on the CPU.
    assert (health["backend"], health["device"]) == ("torch", "cpu")
    assert health["batching"]["wait_ms"] == 0  # off on the CPU by default
    model = client.get("/v1/model").get_json()
    assert (model["backend"], model["device"]) == ("torch", "cpu")


def test_backend_and_batching_settings_are_read_and_checked():
    settings = Settings.from_sources(
        environ={"COLORIZER_BACKEND": "ONNX", "COLORIZER_BATCH_WAIT_MS": "2.5", "COLORIZER_MAX_BATCH": "16"}
    )
    assert (settings.backend, settings.batch_wait_ms, settings.max_batch) == ("onnx", 2.5, 16)
    assert Settings.from_sources(environ={"COLORIZER_BATCH_WAIT_MS": "auto"}).batch_wait_ms is None
    for variable, value in (
        ("COLORIZER_BACKEND", "tensorflow"),
        ("COLORIZER_MAX_BATCH", "0"),
        ("COLORIZER_BATCH_WAIT_MS", "-1"),
    ):
        with pytest.raises(ConfigError, match=variable):
            Settings.from_sources(environ={variable: value})


def test_a_backend_that_cannot_run_fails_the_health_check_with_the_reason(tiny_artifact):
    app = make_service(tiny_artifact, BACKEND="onnx")  # no .onnx file beside the tiny artifact
    response = app.test_client().get("/v1/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "FAILED" and "colorizer export --artifact" in body["error"]


def test_concurrent_requests_are_batched_into_fewer_forwards(tiny_artifact):
    app = make_service(tiny_artifact, BACKEND="torch", BATCH_WAIT_MS=400, MAX_BATCH=4, QUEUE_SIZE=3)
    body = encode(make_photo(96, 64, seed=3).convert("L"), "PNG")
    start = threading.Barrier(4)

    def post(_):
        start.wait()
        return app.test_client().post("/v1/colorize", data=body, content_type="image/png").status_code

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(post, range(4))) == [200] * 4
    batching = app.test_client().get("/v1/health").get_json()["batching"]
    assert batching["wait_ms"] == 400 and batching["max_batch"] == 4
    assert batching["images"] == 4 and batching["forwards"] < 4
