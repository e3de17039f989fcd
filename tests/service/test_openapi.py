"""GET /openapi.json: a valid OpenAPI 3.1 document that describes every route of the app."""

from __future__ import annotations

import re

from openapi_spec_validator import validate
from openapi_spec_validator.versions import consts as versions
from openapi_spec_validator.versions.shortcuts import get_spec_version


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
    query = {parameter["name"]: parameter["schema"] for parameter in operation["parameters"]}
    assert (query["render_size"]["minimum"], query["render_size"]["maximum"]) == (64, 1024)
    assert set(query["format"]["enum"]) >= {"png", "jpeg", "webp"}
    description = operation["requestBody"]["content"]["image/*"]["schema"]["description"]
    assert str(settings.max_upload_bytes) in description and str(settings.max_pixels) in description
    responses = operation["responses"]
    for status, codes in {
        "400": ["missing_image", "invalid_image"],
        "413": ["payload_too_large"],
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
