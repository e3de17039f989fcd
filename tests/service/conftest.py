"""Fixtures for the service tests: apps built on the tiny real artifact, and image helpers."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image

from inference_service import create_app
from tests.service.contract import ContractClient

REPO_ROOT = Path(__file__).resolve().parents[2]
# A little over the test images' sizes, small enough that the oversized cases stay cheap.
SMALL_UPLOAD_LIMIT = 200_000
MODEL_LOAD_TIMEOUT_S = 60
# The gunicorn service shared by the tests over HTTP.
GUNICORN_WORKERS = 2
UPLOAD_LIMIT_OVER_HTTP = 300_000
START_TIMEOUT_S = 120


def encode(image: Image.Image, format: str, **options) -> bytes:
    """The bytes of `image` saved by Pillow in `format`."""
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def make_service(artifact, **settings):
    """A service on `artifact`, its model loaded (one torch thread: the machine is shared)."""
    config = {"ARTIFACT": str(artifact), "TORCH_THREADS": 1, "TESTING": True, **settings}
    app = create_app(config)
    assert app.extensions["colorizer"].host.wait(MODEL_LOAD_TIMEOUT_S), "the model did not load in time"
    return app


def error_of(response, status: int) -> dict:
    """The JSON error of `response`, after checking its status and shape."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.fixture(autouse=True)
def _responses_checked_against_the_document(monkeypatch):
    """Every response a test client receives is checked against the app's OpenAPI document (contract.py)."""
    monkeypatch.setattr(Flask, "test_client_class", ContractClient)


@pytest.fixture(scope="session")
def app(tiny_artifact):
    """The service with default settings except a small upload limit."""
    return make_service(tiny_artifact, MAX_UPLOAD_BYTES=SMALL_UPLOAD_LIMIT)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def hint_client(tiny_hint_artifact):
    """The service on the tiny hint-capable model."""
    return make_service(tiny_hint_artifact).test_client()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log_lines(log_path: Path) -> list[dict]:
    """The JSON lines of a service log (gunicorn's own plain lines are skipped)."""
    lines = []
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.fixture(scope="session")
def server(tiny_artifact, tmp_path_factory):
    """gunicorn with 2 workers, started as the README says; yields (base URL, log path, process).

    One for the session: each start imports torch in every worker (seconds).
    """
    port = free_port()
    log_path = tmp_path_factory.mktemp("gunicorn") / "stderr.log"
    environ = {
        **os.environ,
        "COLORIZER_ARTIFACT": str(tiny_artifact),
        "COLORIZER_BIND": f"127.0.0.1:{port}",
        "COLORIZER_WORKERS": str(GUNICORN_WORKERS),
        "COLORIZER_TORCH_THREADS": "1",
        "COLORIZER_QUEUE_SIZE": "2",
        "COLORIZER_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT_OVER_HTTP),
    }
    for name in ("COLORIZER_WORKER_CLASS", "COLORIZER_THREADS", "COLORIZER_CLIENT_TIMEOUT"):
        environ.pop(name, None)  # the documented defaults
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "inference_service/gunicorn.conf.py",
        "inference_service:create_app()",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
    try:
        # Each worker loads its own model: wait until every one of them says so.
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            ready = [line for line in log_lines(log_path) if line.get("message") == "model ready"]
            if len(ready) >= GUNICORN_WORKERS:
                break
            assert process.poll() is None, f"gunicorn exited early:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"workers not ready in time:\n{log_path.read_text()}"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", log_path, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def gateway_url(server, tmp_path_factory):
    """The real gateway (node gateway/src/server.js) in front of the gunicorn `server`; yields its base URL."""
    import requests

    base_url, _log, _process = server
    port = free_port()
    folder = tmp_path_factory.mktemp("gateway")
    environ = {
        **os.environ,
        "GATEWAY_PORT": str(port),
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_INFERENCE_URL": base_url,
        "GATEWAY_LOG_LEVEL": "warn",
        "GATEWAY_RATE_LIMIT_MAX": "0",
        "GATEWAY_RESULT_DIR": str(folder / "results"),
        "GATEWAY_STATIC_DIR": str(folder / "no-frontend"),
    }
    log_path = folder / "gateway.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["node", "gateway/src/server.js"], cwd=REPO_ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, f"the gateway exited early:\n{log_path.read_text()}"
            try:
                if requests.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"the gateway was not ready in time:\n{log_path.read_text()}"
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
