"""Checks a real response against the service's OpenAPI document (GET /openapi.json).

`check_response` finds the documented response for a path, method and status (or
the operation's `default`), and checks the media type, the required headers and
their schemas, and a JSON body against its schema (JSON Schema 2020-12, as OpenAPI
3.1 says). `ContractClient` is a Flask test client that checks every response it
receives: the service's tests use it, so each answer they provoke, success or
error, is held to the document.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker

from inference_service.openapi import build_openapi


class ContractError(AssertionError):
    """A response that the document does not describe."""


def _media_type_matches(actual: str, documented: str) -> bool:
    if documented == actual:
        return True
    main, _, sub = documented.partition("/")
    return sub == "*" and actual.startswith(f"{main}/")


def _schema_validator(document: dict, schema: dict) -> Draft202012Validator:
    # The document's components ride along, so "#/components/..." references resolve.
    root = {"allOf": [schema], "components": document.get("components", {})}
    return Draft202012Validator(root, format_checker=FormatChecker())


def _resolve(document: dict, node: dict) -> dict:
    """Follow local references ("#/components/headers/...") to what they name."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def documented_path(document: dict, path: str) -> str | None:
    """The document's path for a request path: itself, or a template such as /v1/videos/{job_id}."""
    if path in document["paths"]:
        return path
    for template in document["paths"]:
        if "{" in template:
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            if re.fullmatch(pattern, path):
                return template
    return None


def documented_response(document: dict, path: str, method: str, status: int) -> dict | None:
    """The response object for this request, or None for a path or method the document does not have."""
    template = documented_path(document, path)
    operation = document["paths"].get(template, {}).get(method.lower()) if template else None
    if operation is None:
        return None
    responses = operation["responses"]
    return responses.get(str(status)) or responses.get("default")


def check_response(
    document: dict, path: str, method: str, status: int, content_type: str, headers: dict, body: bytes
) -> None:
    """Raise ContractError when the response does not match what the document says."""
    where = f"{method.upper()} {path} -> {status}"
    response = documented_response(document, path, method, status)
    if response is None:
        # Undocumented path or method (404, 405; or a route a test added): errors still have the error shape.
        if status < 400:
            raise ContractError(f"{where}: an undocumented route answered {status}")
        response = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    media_type = content_type.split(";")[0].strip().lower()
    content = response.get("content", {})
    matching = [name for name in content if _media_type_matches(media_type, name)]
    if content and not matching:
        raise ContractError(f"{where}: Content-Type {media_type!r} is not documented (documented: {sorted(content)})")
    lowered = {name.lower(): value for name, value in headers.items()}
    for name, header in response.get("headers", {}).items():
        header = _resolve(document, header)
        value = lowered.get(name.lower())
        if value is None:
            if header.get("required"):
                raise ContractError(f"{where}: the documented header {name} is missing")
            continue
        schema = header.get("schema", {})
        parsed: object = value
        if schema.get("type") in ("integer", "number"):
            try:
                parsed = json.loads(value)
            except ValueError:
                raise ContractError(f"{where}: header {name}={value!r} is not a number") from None
        errors = sorted(_schema_validator(document, schema).iter_errors(parsed), key=str)
        if errors:
            raise ContractError(f"{where}: header {name}={value!r}: {errors[0].message}")
    if matching and media_type == "application/json" and body:
        schema = content[matching[0]].get("schema", {})
        try:
            instance = json.loads(body)
        except ValueError:
            raise ContractError(f"{where}: the body is not JSON: {body[:200]!r}") from None
        errors = sorted(_schema_validator(document, schema).iter_errors(instance), key=lambda error: error.path)
        if errors:
            error = errors[0]
            location = "/".join(str(part) for part in error.absolute_path) or "(the body)"
            raise ContractError(f"{where}: {location}: {error.message}\nbody: {json.dumps(instance)[:1000]}")


class ContractClient(FlaskClient):
    """A test client that checks each response against the app's own OpenAPI document."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        if request.method == "OPTIONS":
            return response  # Flask's own answer (CORS preflight), not part of the API
        method = "GET" if request.method == "HEAD" else request.method
        state = self.application.extensions["colorizer"]
        host = state.host
        colorizer = host.colorizer if host.status.value == "READY" else None
        document = build_openapi(state.settings, colorizer)
        body = b"" if response.is_streamed else response.get_data()
        check_response(
            document,
            request.path,
            method,
            response.status_code,
            response.content_type or "",
            dict(response.headers),
            body,
        )
        return response
