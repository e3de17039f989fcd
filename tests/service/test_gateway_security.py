"""Keys mode end to end: the real gateway (GATEWAY_AUTH=keys) in front of gunicorn in keys mode.

Hypothesis spells the protected API paths every way a red team might (case, "//", "/./",
"/x/..", escapes, a trailing dot or slash, a backslash), sent byte for byte: without a key
none is answered by a route. And the service's own port answers nothing a gateway did not
sign, whatever client header a caller makes up (docs/security.md).
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from colorizer_cli.keys import KeyFile, key_digest, new_key
from inference_service.client_identity import CLIENT_HEADER, SIGNATURE_HEADER, sign_client
from tests.processes import Gateway, Gunicorn
from tests.service.conftest import START_TIMEOUT_S

SECRET = "gateway-security-test-secret-0123456789"
PROTECTED = [
    ("POST", "/api/colorize"),
    ("POST", "/api/v1/colorize"),
    ("POST", "/api/v1/videos"),
    ("GET", "/api/v1/model"),
    ("GET", "/api/images/AAAAAAAAAAAAAAAAAAAAAAAA"),
]


def respell(canonical: str, steps: list[tuple[str, int]]) -> str:
    """`canonical` changed by each (kind, position) step; the leading "/" always stays."""
    text = canonical
    for kind, at in steps:
        index = 1 + at % (len(text) - 1)
        slash = text.find("/", index)
        slash = slash if slash > 0 else text.find("/", 1)
        if kind == "upper":
            text = text[:index] + text[index].upper() + text[index + 1 :]
        elif kind == "escape":
            text = text[:index] + f"%{ord(text[index]):02X}" + text[index + 1 :]
        elif kind == "trailing":
            text += "/" if at % 2 else "."
        else:
            replacement = {"double": "//", "dot": "/./", "dotdot": "/x/../", "slash": "%2f", "backslash": "\\"}[kind]
            text = text[:slash] + replacement + text[slash + 1 :]
    return text


spellings = st.tuples(
    st.sampled_from(PROTECTED),
    st.lists(
        st.tuples(
            st.sampled_from(["upper", "escape", "trailing", "double", "dot", "dotdot", "slash", "backslash"]),
            st.integers(0, 200),
        ),
        min_size=1,
        max_size=3,
    ),
).map(lambda drawn: (drawn[0][0], respell(drawn[0][1], drawn[1])))


def send(base_url: str, method: str, target: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    """`method target` sent as written (no client-side normalisation); (status, JSON body or {})."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        body = b"x" if method == "POST" else None
        all_headers = {"Content-Type": "image/png", **(headers or {})} if body else dict(headers or {})
        connection.request(method, target, body=body, headers=all_headers)
        response = connection.getresponse()
        text = response.read()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, {}
    finally:
        connection.close()


@pytest.fixture(scope="module")
def keys_stack(tiny_artifact, tmp_path_factory):
    """gunicorn (COLORIZER_AUTH=keys) and a gateway with GATEWAY_AUTH=keys; yields (service, gateway, key)."""
    folder = tmp_path_factory.mktemp("keys-stack")
    key_id, key = new_key()
    keys_file = folder / "keys.json"
    KeyFile(Path(keys_file)).put(
        key_id,
        {"name": "test", "sha256": key_digest(key), "created_at": "2026-12-07T00:00:00Z", "revoked_at": None},
    )
    service_env = {
        "COLORIZER_ARTIFACT": str(tiny_artifact),
        "COLORIZER_TORCH_THREADS": "1",
        "COLORIZER_AUTH": "keys",
        "COLORIZER_SIGNING_SECRET": SECRET,
    }
    with Gunicorn(folder / "gunicorn.log", service_env) as service:
        service.wait_ready(START_TIMEOUT_S)
        gateway_env = {"GATEWAY_AUTH": "keys", "GATEWAY_KEYS_FILE": str(keys_file), "GATEWAY_SIGNING_SECRET": SECRET}
        with Gateway(folder / "gateway.log", service.url, folder, env=gateway_env) as gateway:
            yield service, gateway.wait_ready(START_TIMEOUT_S), key


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spelling=spellings)
def test_no_other_spelling_of_a_protected_path_is_answered_without_a_key(keys_stack, spelling):
    method, target = spelling
    status, body = send(keys_stack[1].url, method, target)
    where = f"{method} {target}: {status} {body}"
    assert status in (400, 401, 404), where
    assert body.get("error", {}).get("code") in ("invalid_path", "not_found", "api_key_missing"), where


def test_the_canonical_paths_need_a_key_and_work_with_one(keys_stack):
    _, gateway, key = keys_stack
    for method, target in PROTECTED:
        assert send(gateway.url, method, target)[0] == 401, target
    status, body = send(gateway.url, "GET", "/api/v1/model", {"Authorization": f"Bearer {key}"})
    assert status == 200, body


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from(["/v1/model", "/v1/colorize", "/v1/videos", "/v1/videos/" + "a" * 32]),
    client=st.from_regex(r"\A(key:[0-9a-f]{16}|ip:[0-9.]{7,15})\Z"),
    signature=st.one_of(
        st.just(""),
        st.from_regex(r"\At=[0-9]{1,10},v1=[0-9a-f]{64}\Z"),
        st.builds(lambda t: sign_client("another-secret-of-enough-length-000", "key:0", t), st.integers(0, 2**31)),
    ),
)
def test_the_services_port_answers_nothing_a_gateway_did_not_sign(keys_stack, target, client, signature):
    service = keys_stack[0]
    headers = {CLIENT_HEADER: client, **({SIGNATURE_HEADER: signature} if signature else {})}
    status, body = send(service.url, "POST" if target in ("/v1/colorize", "/v1/videos") else "GET", target, headers)
    assert (status, body.get("error", {}).get("code")) == (401, "client_not_signed"), body
    assert send(service.url, "GET", "/v1/health")[0] == 200
