"""The video job limits hold through the real gateway (GATEWAY_AUTH=keys) in front of gunicorn.

tests/service/test_video_admission.py sends its uploads side by side straight to
gunicorn. Here they go through the gateway, which streams each film to the service
(app.js, videoUploadLimit) and names the key as the client, signed: one key's
uploads sent at once are held to its limit, a refused one reaches the client as the
service's 429 too_many_jobs while its body is still arriving, no place stays taken,
and another key keeps its own places.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from colorizer_cli.keys import KeyFile
from tests.processes import Gateway, Gunicorn
from tests.service.conftest import START_TIMEOUT_S
from tests.service.slow_uploads import uploads_side_by_side
from tests.service.test_video_rerun_stack import make_key
from tests.video.clips import pan_frames, write_clip

SECRET = "video-admission-gateway-test-secret-0123"
PER_CLIENT = 3
UPLOADS_AT_ONCE = 8


@pytest.fixture(scope="module")
def stack(tiny_artifact, tmp_path_factory):
    """(gateway URL, the service's video folder, a key, another key); no video worker, so jobs stay queued."""
    folder = tmp_path_factory.mktemp("admission-stack")
    keys = KeyFile(Path(folder / "keys.json"))
    mine, other = make_key(keys), make_key(keys)
    service_env = {
        "COLORIZER_ARTIFACT": str(tiny_artifact),
        "COLORIZER_TORCH_THREADS": "1",
        "COLORIZER_AUTH": "keys",
        "COLORIZER_SIGNING_SECRET": SECRET,
        "COLORIZER_VIDEO_DIR": str(folder / "videos"),
        "COLORIZER_VIDEO_MAX_JOBS_PER_CLIENT": str(PER_CLIENT),
    }
    # Two web workers: the uploads land in both processes, which share only the folder.
    with Gunicorn(folder / "gunicorn.log", service_env, workers=2) as service:
        service.wait_ready(START_TIMEOUT_S)
        gateway_env = {"GATEWAY_AUTH": "keys", "GATEWAY_KEYS_FILE": str(keys.path), "GATEWAY_SIGNING_SECRET": SECRET}
        with Gateway(folder / "gateway.log", service.url, folder, env=gateway_env) as gateway:
            yield gateway.wait_ready(START_TIMEOUT_S).url, folder / "videos", mine, other


def test_one_keys_uploads_side_by_side_through_the_gateway_never_pass_its_limit(stack, tmp_path):
    url, videos, mine, other = stack
    film = write_clip(tmp_path / "pan.mp4", pan_frames(6, 64, 48), rate=6).read_bytes()
    headers = {"Authorization": f"Bearer {mine}"}

    answers = uploads_side_by_side(url, film, UPLOADS_AT_ONCE, "/api/v1/videos", headers)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [202] * PER_CLIENT + [429] * (UPLOADS_AT_ONCE - PER_CLIENT), answers
    refused = [body["error"]["code"] for status, body in answers if status == 429]
    assert refused == ["too_many_jobs"] * (UPLOADS_AT_ONCE - PER_CLIENT), answers
    assert not list((videos / "jobs").glob("*.reserved")), "a place stayed taken after the answers"

    # Another key is another client: its places are its own.
    theirs = uploads_side_by_side(url, film, 1, "/api/v1/videos", {"Authorization": f"Bearer {other}"})
    assert [status for status, _ in theirs] == [202], theirs
    assert [status for status, _ in uploads_side_by_side(url, film, 1, "/api/v1/videos", headers)] == [429]

    # Once its jobs are cancelled, the key has its places back.
    for status, job in answers:
        if status == 202:
            cancelled = requests.delete(f"{url}{job['status_url']}", headers=headers, timeout=30)
            assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled", cancelled.text
    again = uploads_side_by_side(url, film, 1, "/api/v1/videos", headers)
    assert [status for status, _ in again] == [202], again
    assert not list((videos / "jobs").glob("*.reserved"))
