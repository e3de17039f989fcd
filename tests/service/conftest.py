"""Fixtures for the service tests: apps built on the tiny real artifact, and image helpers."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from inference_service import create_app

# A little over the test images' sizes, small enough that the oversized cases stay cheap.
SMALL_UPLOAD_LIMIT = 200_000
MODEL_LOAD_TIMEOUT_S = 60


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


@pytest.fixture(scope="session")
def app(tiny_artifact):
    """The service with default settings except a small upload limit."""
    return make_service(tiny_artifact, MAX_UPLOAD_BYTES=SMALL_UPLOAD_LIMIT)


@pytest.fixture
def client(app):
    return app.test_client()
