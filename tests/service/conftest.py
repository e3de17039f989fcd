"""Fixtures for the service tests: apps built on the tiny real artifact, and image helpers."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image

from inference_service import create_app
from tests.processes import Gateway, Gunicorn
from tests.service.contract import ContractClient

REPO_ROOT = Path(__file__).resolve().parents[2]
# A little over the test images' sizes, small enough that the oversized cases stay cheap.
SMALL_UPLOAD_LIMIT = 200_000
MODEL_LOAD_TIMEOUT_S = 60
# The gunicorn service shared by the tests over HTTP.
GUNICORN_WORKERS = 2
UPLOAD_LIMIT_OVER_HTTP = 300_000
START_TIMEOUT_S = 120
DEFAULTED_VARIABLES = ("COLORIZER_WORKER_CLASS", "COLORIZER_THREADS", "COLORIZER_CLIENT_TIMEOUT")


def encode(image: Image.Image, format: str, **options) -> bytes:
    """The bytes of `image` saved by Pillow in `format`."""
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def make_service(artifact, **settings):
    """A service on `artifact`, its model loaded (one torch thread: the machine is shared)."""
    config = {"ARTIFACT": str(artifact), "MODEL_THREADS": 1, "TESTING": True, **settings}
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


@pytest.fixture(scope="session")
def server(tiny_artifact, tmp_path_factory):
    """gunicorn with 2 workers, started as the README says; yields (base URL, log path, process).

    One for the session: each start imports torch in every worker (seconds).
    """
    log_path = tmp_path_factory.mktemp("gunicorn") / "stderr.log"
    settings = {
        "COLORIZER_ARTIFACT": str(tiny_artifact),
        "COLORIZER_MODEL_THREADS": "1",
        "COLORIZER_QUEUE_SIZE": "2",
        "COLORIZER_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT_OVER_HTTP),
        # schemathesis queues many video jobs (no video worker runs them here).
        "COLORIZER_VIDEO_MAX_JOBS_PER_CLIENT": "100000",
        "COLORIZER_VIDEO_MAX_ACTIVE_JOBS": "100000",
    }
    # The documented defaults of these, whatever the environment says.
    base = {key: value for key, value in os.environ.items() if key not in DEFAULTED_VARIABLES}
    with Gunicorn(log_path, settings, workers=GUNICORN_WORKERS, base_env=base) as service:
        service.wait_ready(START_TIMEOUT_S)
        yield service.url, log_path, service.process


@pytest.fixture(scope="session")
def gateway_url(server, tmp_path_factory):
    """The real gateway (node gateway/src/server.js) in front of the gunicorn `server`; yields its base URL."""
    folder = tmp_path_factory.mktemp("gateway")
    with Gateway(folder / "gateway.log", server[0], folder) as gateway:
        yield gateway.wait_ready(START_TIMEOUT_S).url
