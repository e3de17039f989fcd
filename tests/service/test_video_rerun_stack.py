"""A rerun through the whole stack: the real gateway (GATEWAY_AUTH=keys) in front of gunicorn and its video worker.

The gateway passes POST /api/v1/videos/{id}/rerun through like any /api/v1 route: the
key's jobs stay private to it (another key's rerun is 404), and the key's quota counts a
rerun as the POST it is.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from colorizer_cli.keys import KeyFile, key_digest, new_key
from tests.processes import Gateway, Gunicorn
from tests.service.conftest import START_TIMEOUT_S
from tests.video.clips import pan_frames, read_frames, write_clip

SECRET = "video-rerun-stack-test-secret-0123456789"
QUOTA = 2
PIN = {"x": 0.5, "y": 0.5, "color": "#a03020"}


def make_key(keys: KeyFile, **limits) -> str:
    key_id, key = new_key()
    record = {"name": key_id, "sha256": key_digest(key), "created_at": "2026-12-07T00:00:00Z", "revoked_at": None}
    keys.put(key_id, {**record, **limits})
    return key


@pytest.fixture(scope="module")
def stack(tiny_artifact, tmp_path_factory):
    """(gateway URL, a key with a daily quota of QUOTA, another key)."""
    folder = tmp_path_factory.mktemp("rerun-stack")
    keys = KeyFile(Path(folder / "keys.json"))
    limited, other = make_key(keys, quota_per_day=QUOTA), make_key(keys)
    service_env = {
        "COLORIZER_ARTIFACT": str(tiny_artifact),
        "COLORIZER_TORCH_THREADS": "1",
        "COLORIZER_AUTH": "keys",
        "COLORIZER_SIGNING_SECRET": SECRET,
        "COLORIZER_VIDEO_WORKERS": "1",
        "COLORIZER_VIDEO_NICE": "0",
    }
    with Gunicorn(folder / "gunicorn.log", service_env) as service:
        service.wait_ready(START_TIMEOUT_S)
        gateway_env = {"GATEWAY_AUTH": "keys", "GATEWAY_KEYS_FILE": str(keys.path), "GATEWAY_SIGNING_SECRET": SECRET}
        with Gateway(folder / "gateway.log", service.url, folder, env=gateway_env) as gateway:
            yield gateway.wait_ready(START_TIMEOUT_S).url, limited, other


def wait_done(url: str, job: dict, headers: dict) -> dict:
    deadline = time.monotonic() + 120
    while True:
        state = requests.get(url + job["status_url"], headers=headers, timeout=30).json()
        if state["state"] not in ("queued", "running"):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.3)


def test_a_rerun_through_the_gateway_is_private_to_its_key_and_counted_as_a_post(stack, tmp_path):
    url, limited, other = stack
    mine, theirs = {"Authorization": f"Bearer {limited}"}, {"Authorization": f"Bearer {other}"}
    clip = write_clip(tmp_path / "pan.mp4", pan_frames(10, 64, 48))
    with open(clip, "rb") as film:
        posted = requests.post(url + "/api/v1/videos", files={"video": film}, headers=mine, timeout=60)
    assert posted.status_code == 202, posted.text
    source = posted.json()
    rerun_url = f"{url}/api/v1/videos/{source['id']}/rerun"
    refused = requests.post(rerun_url, headers=theirs, timeout=60)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    answer = requests.post(
        rerun_url, files={"keyframes": (None, json.dumps([{"time": 0.1, "hints": [PIN]}]))}, headers=mine, timeout=60
    )
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert answer.headers["Location"] == job["status_url"] == f"/api/v1/videos/{job['id']}"
    assert [keyframe["time"] for keyframe in job["keyframes"]] == [0.1]
    done = wait_done(url, job, mine)
    assert done["state"] == "done", done
    result = requests.get(url + done["result_url"], headers=mine, timeout=60)
    assert result.status_code == 200 and result.headers["Content-Type"] == "video/mp4"
    (tmp_path / "rerun.mp4").write_bytes(result.content)
    assert len(read_frames(tmp_path / "rerun.mp4")) == 10
    # The upload and the rerun spent the key's quota: a second rerun is refused by the gateway.
    spent = requests.post(rerun_url, headers=mine, timeout=60)
    assert spent.status_code == 429 and spent.json()["error"]["code"] == "quota_exceeded", spent.text
