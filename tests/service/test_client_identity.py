"""The client a gateway names (X-Colorizer-Client) is believed only when signed with the shared secret.

The examples in tests/fixtures/client_signatures.json are checked here and by the gateway's
tests (gateway/test/clientIdentity.test.js), so both sides sign alike.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from inference_service.client_identity import CLIENT_HEADER, MAX_SKEW_S, SIGNATURE_HEADER, sign_client, signature_valid
from inference_service.config import MIN_SECRET_LENGTH, ConfigError
from tests.service.conftest import error_of, make_service
from tests.video.clips import pan_frames, write_clip

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "client_signatures.json").read_text())
SECRET = FIXTURE["secret"]
clients = st.from_regex(r"\A(key:[0-9a-f]{16}|ip:[0-9a-f.:]{3,39})\Z")


def test_the_shared_examples_verify_and_are_made_alike():
    assert (FIXTURE["min_secret_length"], FIXTURE["max_skew_s"]) == (MIN_SECRET_LENGTH, MAX_SKEW_S)
    for example in FIXTURE["examples"]:
        assert sign_client(SECRET, example["client"], example["t"]) == example["signature"]
        assert signature_valid(SECRET, example["client"], example["signature"], now=example["t"] + MAX_SKEW_S)


@given(
    client=clients,
    other=clients,
    skew=st.integers(-10 * MAX_SKEW_S, 10 * MAX_SKEW_S),
    flip=st.integers(0, 63),
)
def test_a_signature_is_for_one_client_one_secret_and_a_few_minutes(client, other, skew, flip):
    now = 1_800_000_000
    signature = sign_client(SECRET, client, now + skew)
    assert signature_valid(SECRET, client, signature, now=now) == (abs(skew) <= MAX_SKEW_S)
    if other != client:
        assert not signature_valid(SECRET, other, signature, now=now)
    assert not signature_valid(SECRET[::-1], client, signature, now=now)
    mac_start = signature.index("v1=") + 3
    digit = signature[mac_start + flip]
    tampered = signature[: mac_start + flip] + ("0" if digit != "0" else "1") + signature[mac_start + flip + 1 :]
    assert not signature_valid(SECRET, client, tampered, now=now)


@pytest.mark.parametrize(
    "settings_",
    [{"AUTH": "keys"}, {"AUTH": "keys", "SIGNING_SECRET": "x" * (MIN_SECRET_LENGTH - 1)}],
)
def test_keys_mode_refuses_to_start_without_a_secret(tiny_artifact, settings_):
    with pytest.raises(ConfigError, match="COLORIZER_SIGNING_SECRET") as refused:
        make_service(tiny_artifact, **settings_)
    assert "x" * 8 not in str(refused.value), "the secret is never repeated"


def signed(client: str, secret: str = SECRET) -> dict[str, str]:
    return {CLIENT_HEADER: client, SIGNATURE_HEADER: sign_client(secret, client)}


@pytest.fixture(scope="module")
def keys_app(tiny_artifact):
    return make_service(tiny_artifact, AUTH="keys", SIGNING_SECRET=SECRET)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("clips") / "pan.mp4", pan_frames(6, 64, 48), rate=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(["/v1/model", "/v1/colorize", "/v1/videos", "/v1/videos/" + "0" * 32]),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    headers=st.one_of(
        st.just({}),
        clients.map(lambda client: {CLIENT_HEADER: client}),
        clients.map(lambda client: signed(client, secret="y" * MIN_SECRET_LENGTH)),
        clients.map(lambda client: {**signed(client), CLIENT_HEADER: client + "0"}),
        clients.map(lambda client: {CLIENT_HEADER: client, SIGNATURE_HEADER: sign_client(SECRET, client, 0)}),
    ),
)
def test_keys_mode_refuses_every_request_a_gateway_did_not_sign(keys_app, path, method, headers):
    response = keys_app.test_client().open(path, method=method, headers=headers)
    assert error_of(response, 401)["code"] == "client_not_signed"


def test_keys_mode_leaves_health_and_the_document_open_and_serves_signed_requests(keys_app):
    client = keys_app.test_client()
    for path in ("/", "/v1/health", "/openapi.json"):
        assert client.get(path).status_code == 200, path
    assert client.get("/v1/model", headers=signed("key:0123456789abcdef")).status_code == 200


def test_with_a_secret_an_unsigned_client_is_the_callers_own_address(tiny_artifact, tmp_path, clip):
    app = make_service(tiny_artifact, SIGNING_SECRET=SECRET, VIDEO_DIR=str(tmp_path / "videos"))
    client = app.test_client()
    alice = "key:aaaaaaaaaaaaaaaa"
    made = client.post(
        "/v1/videos",
        data=clip.read_bytes(),
        content_type="video/mp4",
        headers=signed(alice),
    )
    assert made.status_code == 202, made.get_data(as_text=True)
    status_url = made.get_json()["status_url"]
    assert client.get(status_url, headers=signed(alice)).status_code == 200
    # Someone who reaches the port and names Alice without her gateway's signature is not Alice.
    assert error_of(client.get(status_url, headers={CLIENT_HEADER: alice}), 404)["code"] == "not_found"
    stale = {CLIENT_HEADER: alice, SIGNATURE_HEADER: sign_client(SECRET, alice, time.time() - 2 * MAX_SKEW_S)}
    assert error_of(client.delete(status_url, headers=stale), 404)["code"] == "not_found"
    assert client.get(status_url, headers=signed(alice)).get_json()["state"] in ("queued", "running")
