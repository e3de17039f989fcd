"""Every route through Flask's test client: health, model, index, errors, readiness, the queue."""

from __future__ import annotations

import io
import json
import re
import threading
import time

import pytest
import torch

from inference_service import create_app
from inference_service.request_log import REQUEST_ID_PATTERN, is_valid_request_id, new_request_id
from model.artifact import ArtifactMetadata, save_artifact, weights_sha256
from model.colorizer import Colorizer
from model.generator import UNetGenerator
from model.torch_backend import resolve_device
from tests.conftest import TINY_GENERATOR, make_photo
from tests.service.conftest import REPO_ROOT, encode, error_of, make_service


def _post_photo(client, **query):
    jpeg = encode(make_photo(48, 32).convert("L"), "JPEG")
    return client.post("/v1/colorize", query_string=query, data=jpeg, content_type="image/jpeg")


def test_health_is_ready_with_the_model_named(client):
    response = client.get("/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "READY"
    assert body["model"] == {"name": "tiny-test-colorizer", "version": "0.0.1"}
    assert body["device"] == str(resolve_device("auto"))  # the GPU when there is one
    assert body["queue"] == {"capacity": 5, "in_use": 0}


def test_model_route_serves_the_artifact_metadata(client, tiny_artifact):
    response = client.get("/v1/model")
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "tiny-test-colorizer"
    assert body["version"] == "0.0.1"
    assert body["render_size"] == 64
    assert body["training"] == {}, "its description is prose: not published"
    assert body["metrics"] == {"val": {"psnr": 0.0}}
    assert body["weights_sha256"] == weights_sha256(tiny_artifact)
    assert body["limits"]["render_size"] == {"min": 64, "max": 1024}
    assert body["limits"]["max_pixels"] == 50_000_000
    assert "PNG" in body["input_formats"] and body["output_formats"] == ["png", "jpeg", "webp"]


def test_index_points_at_the_api(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.get_json()["endpoints"]["openapi"] == "GET /openapi.json"


def test_unknown_path_is_a_json_404(client):
    error = error_of(client.get("/v1/nothing-here"), 404)
    assert error["code"] == "not_found"


@pytest.mark.parametrize(("method", "path"), [("get", "/v1/colorize"), ("put", "/v1/colorize"), ("post", "/v1/health")])
def test_wrong_method_is_a_json_405_with_allow(client, method, path):
    response = getattr(client, method)(path)
    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert "Allow" in response.headers


def test_unexpected_exception_is_a_json_500_without_a_traceback(tiny_artifact):
    app = create_app({"ARTIFACT": str(tiny_artifact), "MODEL_THREADS": 1})

    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode", view_func=explode)
    response = app.test_client().get("/explode", headers={"X-Request-Id": "trace-me-500"})
    error = error_of(response, 500)
    assert error["code"] == "internal_error"
    assert error["request_id"] == "trace-me-500"
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_request_id_is_honoured_and_echoed(client):
    response = client.get("/v1/health", headers={"X-Request-Id": "gateway-1234.abc"})
    assert response.headers["X-Request-Id"] == "gateway-1234.abc"
    error = error_of(client.get("/nope", headers={"X-Request-Id": "gateway-5678"}), 404)
    assert error["request_id"] == "gateway-5678"


# The examples the gateway's tests check too (gateway/test/requestId.test.js): one format on both sides.
REQUEST_IDS = json.loads((REPO_ROOT / "tests" / "fixtures" / "request_ids.json").read_text())
# Values a header can carry at all (the others are checked on the function that decides).
_SENDABLE = re.compile(r"^[\x20-\x7e]*$")


def test_the_request_id_pattern_is_the_one_the_gateway_uses():
    assert REQUEST_IDS["pattern"] == REQUEST_ID_PATTERN
    assert [value for value in REQUEST_IDS["accept"] if not is_valid_request_id(value)] == []
    assert [value for value in REQUEST_IDS["reject"] if is_valid_request_id(value)] == []
    assert is_valid_request_id(new_request_id()) and re.fullmatch(r"[0-9a-f]{32}", new_request_id())


@pytest.mark.parametrize("kept", list(REQUEST_IDS["accept"]))
def test_a_usable_request_id_is_kept(client, kept):
    assert client.get("/v1/health", headers={"X-Request-Id": kept}).headers["X-Request-Id"] == kept


@pytest.mark.parametrize("unsafe", [value for value in REQUEST_IDS["reject"] if _SENDABLE.fullmatch(value)])
def test_unusable_request_id_is_replaced_by_a_fresh_one(client, unsafe):
    response = client.get("/v1/health", headers={"X-Request-Id": unsafe})
    request_id = response.headers["X-Request-Id"]
    assert request_id != unsafe and re.fullmatch(r"[0-9a-f]{32}", request_id)


def test_a_service_whose_model_is_loading_says_starting_and_not_ready(tiny_artifact):
    release = threading.Event()

    def slow_load():
        release.wait(30)
        return Colorizer.load(tiny_artifact, device="cpu")

    app = create_app({"ARTIFACT": str(tiny_artifact), "MODEL_THREADS": 1}, model_loader=slow_load)
    client = app.test_client()
    try:
        health = client.get("/v1/health")
        assert health.status_code == 503 and health.get_json()["status"] == "STARTING"
        response = _post_photo(client)
        assert error_of(response, 503)["code"] == "not_ready"
        assert int(response.headers["Retry-After"]) >= 1
        assert error_of(client.get("/v1/model"), 503)["code"] == "not_ready"
    finally:
        release.set()
    assert app.extensions["colorizer"].host.wait(30)
    assert client.get("/v1/health").get_json()["status"] == "READY"
    assert _post_photo(client).status_code == 200


def test_a_missing_artifact_fails_loudly_without_naming_server_paths(tmp_path, capsys):
    app = make_service(tmp_path / "absent.safetensors")
    client = app.test_client()
    health = client.get("/v1/health")
    assert health.status_code == 503
    body = health.get_json()
    assert body["status"] == "FAILED" and "not found" in body["error"]
    error = error_of(_post_photo(client), 503)
    assert error["code"] == "not_ready" and "failed to load" in error["message"] and "not found" in error["message"]
    model = error_of(client.get("/v1/model"), 503)
    # Neither the folder nor the file name reaches a client; the log keeps both.
    for text in (health.get_data(as_text=True), error["message"], model["message"]):
        assert str(tmp_path) not in text and "absent.safetensors" not in text
    assert str(tmp_path / "absent.safetensors") in capsys.readouterr().err


def test_a_corrupt_artifact_fails_loudly(tmp_path):
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"this is not safetensors")
    body = make_service(corrupt).test_client().get("/v1/health").get_json()
    assert body["status"] == "FAILED" and "ArtifactError" in body["error"] and "not a readable" in body["error"]
    assert "corrupt.safetensors" not in body["error"] and str(tmp_path) not in body["error"]


def test_a_full_queue_answers_busy_at_once(tiny_artifact):
    app = make_service(tiny_artifact, QUEUE_SIZE=0, RETRY_AFTER_S=7)
    client = app.test_client()
    gate = app.extensions["colorizer"].gate
    with gate.admit():  # the one place is taken, as by a long request
        began = time.perf_counter()
        response = _post_photo(client)
        assert time.perf_counter() - began < 2.0
        assert error_of(response, 503)["code"] == "busy"
        assert response.headers["Retry-After"] == "7"
        # Health does not queue behind the model.
        assert client.get("/v1/health").status_code == 200
    assert _post_photo(client).status_code == 200


def test_waiting_requests_are_served_and_the_one_beyond_the_queue_is_refused(tiny_artifact):
    app = make_service(tiny_artifact, QUEUE_SIZE=1)
    gate = app.extensions["colorizer"].gate
    waiting_result = {}

    def waiting_request():
        waiting_result["response"] = _post_photo(app.test_client())

    with gate.admit():  # running
        waiter = threading.Thread(target=waiting_request)
        waiter.start()
        deadline = time.monotonic() + 10
        while gate.admitted < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gate.admitted == 2, "the second request should be waiting in the queue"
        assert error_of(_post_photo(app.test_client()), 503)["code"] == "busy"
        assert app.test_client().get("/v1/health").get_json()["queue"] == {"capacity": 2, "in_use": 2}
    waiter.join(30)
    assert waiting_result["response"].status_code == 200
    assert gate.admitted == 0


def test_cors_is_off_by_default(client):
    response = client.get("/v1/health", headers={"Origin": "https://example.com"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_only_the_configured_origins(tiny_artifact):
    app = make_service(tiny_artifact, CORS_ORIGINS="https://app.example.com, https://other.example.com")
    client = app.test_client()
    allowed = client.get("/v1/health", headers={"Origin": "https://app.example.com"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "X-Model-Name" in allowed.headers["Access-Control-Expose-Headers"]
    refused = client.get("/v1/health", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in refused.headers
    preflight = client.options(
        "/v1/colorize",
        headers={"Origin": "https://other.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://other.example.com"


def test_a_form_with_too_many_parts_is_not_called_too_large(client):
    png = encode(make_photo(16, 16).convert("L"), "PNG")
    fields = {f"note{number}": "x" for number in range(1500)}
    response = client.post("/v1/colorize", data={**fields, "image": (io.BytesIO(png), "a.png")})
    error = error_of(response, 413)
    assert error["code"] == "form_too_large" and "1000 parts" in error["message"]


# What a file or module name looks like in a string (the red team found one ending in .py).
_FILE_NAME = re.compile(r"\.(py|pt|pth|safetensors|onnx|sh|md|json|ya?ml|txt|csv)\b", re.IGNORECASE)


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_model_metadata_publishes_figures_but_no_paths_file_or_module_names(tmp_path):
    torch.manual_seed(0)
    metadata = ArtifactMetadata(
        name="path-test",
        version="1",
        generator=TINY_GENERATOR,
        render_size=64,
        training={
            "data_dir": "/home/alice/private/photos",
            "init_from": "C:\\\\Users\\\\alice\\\\base.safetensors",
            "relative": "runs/a",
            "description": "Recipe: training/recipes/hint_model.py; see MODEL_CARD.md",
            "recipe": {"epochs": 3, "lr": 2e-4, "ema": False, "script": "recipes/v1.sh", "sizes": [64, 128]},
        },
        metrics={"val": {"psnr": 21.5, "data_dir": "/data/val"}, "notes": ["last.pt"]},
    )
    artifact = save_artifact(tmp_path / "paths.safetensors", UNetGenerator(TINY_GENERATOR), metadata)
    body = make_service(artifact).test_client().get("/v1/model").get_json()
    assert body["training"] == {"recipe": {"epochs": 3, "lr": 2e-4, "ema": False, "sizes": [64, 128]}}
    assert body["metrics"] == {"val": {"psnr": 21.5}}
    text = json.dumps(body)
    assert "alice" not in text and str(tmp_path) not in text and "runs/a" not in text
    assert [s for s in _strings(body) if _FILE_NAME.search(s)] == []


def test_a_request_with_content_length_and_transfer_encoding_is_refused_by_the_app_too(client):
    """Behind a server that let it through, the app still refuses it: 400, connection closed."""
    response = client.post(
        "/v1/colorize",
        data=b"0\r\n\r\n",
        content_type="image/png",
        environ_overrides={"HTTP_TRANSFER_ENCODING": "chunked"},
    )
    error = error_of(response, 400)
    assert error["code"] == "bad_request" and "Transfer-Encoding" in error["message"]
    assert response.headers["Connection"] == "close"


def test_the_shipped_model_publishes_no_file_or_module_name():
    """The red team's case: GET /v1/model of the shipped model had a string ending in .py."""
    client = make_service(REPO_ROOT / "model" / "weights" / "colorizer-default.safetensors").test_client()
    response = client.get("/v1/model")
    published = response.get_json()
    assert response.status_code == 200, published
    assert [s for s in _strings(published) if s.endswith(".py") or _FILE_NAME.search(s)] == []
    assert published["metrics"]["val"]["model"]["psnr"] > 20, "the figures are still there"
