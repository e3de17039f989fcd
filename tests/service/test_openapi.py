"""GET /openapi.json: a valid OpenAPI 3.1 document that describes every route of the app.

Every response the service tests receive is also checked against the document
(conftest.py, contract.py); here each documented response is provoked once.
"""

from __future__ import annotations

import io
import re

from openapi_spec_validator import validate
from openapi_spec_validator.versions import consts as versions
from openapi_spec_validator.versions.shortcuts import get_spec_version
from PIL import Image

from model.options import COLORIZE_OPTIONS, OPTIONS_BY_NAME
from tests.service.conftest import SMALL_UPLOAD_LIMIT, encode, error_of, make_service


def _document(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(client):
    document = _document(client)
    assert get_spec_version(document) == versions.OPENAPIV31
    validate(document)  # raises on any schema violation


def _app_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def test_every_route_is_documented_and_nothing_else(app, client):
    document = _document(client)
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    app_routes = _app_routes(app)
    assert app_routes == documented
    assert ("/v1/colorize", "post") in app_routes


def test_documented_limits_and_codes_match_the_service(app, client):
    settings = app.extensions["colorizer"].settings
    operation = _document(client)["paths"]["/v1/colorize"]["post"]
    query = {
        parameter["name"]: parameter.get("schema") or parameter["content"]["application/json"]["schema"]
        for parameter in operation["parameters"]
    }
    # Every option of the table is documented with its bounds and default, and nothing else is.
    assert set(query) == set(OPTIONS_BY_NAME)
    for option in COLORIZE_OPTIONS:
        if option.kind in ("integer", "number"):
            assert (query[option.name]["minimum"], query[option.name]["maximum"]) == option.bounds
        if option.default is not None:
            assert query[option.name]["default"] == option.default
    assert set(query["format"]["enum"]) >= {"png", "jpeg", "webp"}
    image = operation["requestBody"]["content"]["image/*"]["schema"]
    assert str(settings.max_upload_bytes) in image["description"] and str(settings.max_pixels) in image["description"]
    # An empty body is no image (400 invalid_image): the document must not allow it.
    assert (image["minLength"], image["maxLength"]) == (1, settings.max_upload_bytes)
    responses = operation["responses"]
    for status, codes in {
        "400": ["missing_image", "invalid_image"],
        "413": ["payload_too_large", "form_too_large"],
        "415": ["unsupported_media_type"],
        "422": ["image_too_large", "invalid_parameter"],
        "503": ["busy", "not_ready"],
    }.items():
        for code in codes:
            assert code in responses[status]["description"]
    assert "Retry-After" in responses["503"]["headers"]
    assert {"X-Model-Name", "X-Model-Version", "X-Inference-Ms", "Content-Disposition"} <= set(
        responses["200"]["headers"]
    )


# What gunicorn itself refuses on every path, before the app: tests/service/test_hostile_clients.py
# provokes them through a real gunicorn.
SERVER_REFUSALS = ("414", "431")


def _documented_statuses(document: dict) -> set[tuple[str, str, str]]:
    """Each (path, method, status) the document lists that the app answers."""
    return {
        (path, method, status)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
        if status not in ("default", *SERVER_REFUSALS)
    }


def test_every_documented_response_is_what_the_service_answers(app, client, tmp_path):
    """Each documented status, provoked; the client checks each answer against the document (contract.py)."""
    failed = make_service(tmp_path / "absent.safetensors").test_client()
    png = encode(Image.new("L", (40, 30), 90), "PNG")
    seen = set()

    def answered(response, path: str, method: str) -> None:
        seen.add((path, method, str(response.status_code)))

    answered(client.get("/"), "/", "get")
    answered(client.get("/openapi.json"), "/openapi.json", "get")
    answered(client.get("/v1/health"), "/v1/health", "get")
    answered(failed.get("/v1/health"), "/v1/health", "get")
    answered(client.get("/v1/model"), "/v1/model", "get")
    answered(failed.get("/v1/model"), "/v1/model", "get")
    colorize = "/v1/colorize"
    answered(client.post(colorize, data={"image": (io.BytesIO(png), "a.png")}), colorize, "post")
    answered(client.post(colorize, data=b"", content_type="image/png"), colorize, "post")
    big = b"\x89PNG" + bytes(SMALL_UPLOAD_LIMIT)
    answered(client.post(colorize, data=big, content_type="image/png"), colorize, "post")
    answered(client.post(colorize, data=b"{}", content_type="application/json"), colorize, "post")
    answered(
        client.post(colorize, query_string={"render_size": 5}, data=png, content_type="image/png"), colorize, "post"
    )
    answered(failed.post(colorize, data=png, content_type="image/png"), colorize, "post")
    assert error_of(client.post(colorize, data=b"", content_type="image/png"), 400)["code"] == "invalid_image"
    # The video routes' statuses: tests/service/test_videos.py provokes each of them.
    photo_statuses = {
        entry for entry in _documented_statuses(_document(client)) if not entry[0].startswith("/v1/videos")
    }
    assert seen == photo_statuses
