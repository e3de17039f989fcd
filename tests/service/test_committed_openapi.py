"""The committed contract (docs/openapi/) is what the real service and the real gateway serve.

scripts/openapi.sh writes it (and the frontend's types from it); these tests fail when
an endpoint, an option or a default changed without it being written again.
"""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from model.artifact import DEFAULT_ARTIFACT_PATH
from tests.processes import REPO_ROOT, Gateway, Gunicorn
from tests.service.conftest import make_service

COMMITTED = REPO_ROOT / "docs" / "openapi"
STALE = "stale: run scripts/openapi.sh and commit what it writes"


def _committed(name: str) -> dict:
    return json.loads((COMMITTED / name).read_text())


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


def test_the_service_serves_the_committed_document():
    client = make_service(DEFAULT_ARTIFACT_PATH).test_client()
    served = client.get("/openapi.json").get_json()
    assert served == _committed("service.json"), STALE


@pytest.mark.slow
def test_gunicorn_and_the_gateway_serve_the_committed_documents(tmp_path):
    # The documented defaults: no COLORIZER_* or GATEWAY_* setting from the environment.
    base = {key: value for key, value in os.environ.items() if not key.startswith(("COLORIZER_", "GATEWAY_"))}
    with Gunicorn(tmp_path / "gunicorn.log", {"COLORIZER_MODEL_THREADS": "1"}, base_env=base) as service:
        service.wait_ready()
        assert _get_json(f"{service.url}/openapi.json") == _committed("service.json"), STALE
        with Gateway(tmp_path / "gateway.log", service.url, tmp_path) as gateway:
            gateway.wait_ready()
            assert _get_json(f"{gateway.url}/api/openapi.json") == _committed("gateway.json"), STALE
