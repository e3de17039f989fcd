"""POST/GET/DELETE /v1/videos through the app (Flask's test client, every answer held to the OpenAPI document).

No video worker runs here: these are the checks made before a job exists (limits, bad
films, the folder) and the life of a queued job. tests/service/test_video_jobs.py runs
jobs to the end in a real gunicorn with its video worker.
"""

from __future__ import annotations

import io
import os

import pytest

from tests.service.conftest import error_of, make_service
from tests.video.clips import pan_frames, write_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """12 frames of 64x48 at 12 fps, with sound."""
    return write_clip(tmp_path_factory.mktemp("clips") / "pan.mp4", pan_frames(12, 64, 48), rate=12, audio="aac")


@pytest.fixture
def video_app(tiny_artifact, tmp_path):
    return make_service(tiny_artifact, VIDEO_DIR=str(tmp_path / "videos"), VIDEO_MAX_JOBS_PER_CLIENT=2)


def post_clip(client, path, **fields):
    return client.post(
        "/v1/videos",
        data={"video": (io.BytesIO(path.read_bytes()), path.name), **fields},
        content_type="multipart/form-data",
    )


def test_a_video_is_queued_with_its_urls_and_facts(video_app, clip):
    client = video_app.test_client()
    response = post_clip(client, clip, vibrance="1.2", render_size="128")
    assert response.status_code == 202, response.get_data(as_text=True)
    job = response.get_json()
    assert job["state"] == "queued"
    assert response.headers["Location"] == job["status_url"] == f"/v1/videos/{job['id']}"
    assert job["result_url"] == f"/v1/videos/{job['id']}/result"
    assert job["video"] | {} == {
        "width": 64,
        "height": 48,
        "frames": 12,
        "fps": 12.0,
        "duration_s": job["video"]["duration_s"],
        "codec": "h264",
        "audio": True,
    }
    assert job["options"] == {"render_size": 128, "vibrance": 1.2, "crf": 18}
    assert job["progress"] == {"frames_done": 0, "frames_total": 12, "percent": 0.0, "eta_s": None}
    assert client.get(job["status_url"]).get_json()["state"] == "queued"
    # Not done: the result is refused with the state.
    assert error_of(client.get(job["result_url"]), 409) | {"request_id": ""} == {
        "code": "job_not_done",
        "message": "The video job is queued; its result exists once it is done.",
        "state": "queued",
        "request_id": "",
    }


def test_a_raw_body_and_the_gateways_prefix(video_app, clip):
    client = video_app.test_client()
    response = client.post(
        "/v1/videos?crf=30", data=clip.read_bytes(), content_type="video/mp4", headers={"X-Forwarded-Prefix": "/api"}
    )
    assert response.status_code == 202
    job = response.get_json()
    assert job["status_url"] == f"/api/v1/videos/{job['id']}" and job["options"]["crf"] == 30


def test_cancel_a_queued_job_then_remove_it(video_app, clip):
    client = video_app.test_client()
    job = post_clip(client, clip).get_json()
    cancelled = client.delete(job["status_url"])
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    assert cancelled.get_json()["expires_at"] is not None
    uploads = video_app.extensions["colorizer_videos"].store.uploads
    assert len(list(uploads.iterdir())) == 1  # the film is kept with the job (a rerun needs no upload)
    assert client.delete(job["status_url"]).status_code == 204
    assert not list(uploads.iterdir())  # and goes with it
    assert error_of(client.get(job["status_url"]), 404)["code"] == "not_found"


def test_jobs_per_client_are_limited(video_app, clip):
    client = video_app.test_client()
    for _ in range(2):
        assert post_clip(client, clip).status_code == 202
    refused = post_clip(client, clip)
    assert error_of(refused, 429)["code"] == "too_many_jobs" and refused.headers["Retry-After"]
    # Another client (as the gateway names it) still may.
    other = client.post(
        "/v1/videos", data=clip.read_bytes(), content_type="video/mp4", headers={"X-Colorizer-Client": "ip:10.0.0.9"}
    )
    assert other.status_code == 202


def test_a_keys_jobs_are_private_to_it(video_app, clip):
    client = video_app.test_client()
    mine = {"X-Colorizer-Client": "key:aaaa"}
    job = client.post("/v1/videos", data=clip.read_bytes(), content_type="video/mp4", headers=mine).get_json()
    assert client.get(job["status_url"], headers=mine).status_code == 200
    assert error_of(client.get(job["status_url"], headers={"X-Colorizer-Client": "key:bbbb"}), 404)
    assert error_of(client.delete(job["status_url"], headers={"X-Colorizer-Client": "key:bbbb"}), 404)


@pytest.mark.parametrize(
    ("settings", "code", "status"),
    [
        ({"VIDEO_MAX_DURATION_S": 0.5}, "video_too_long", 422),
        ({"VIDEO_MAX_FRAMES": 5}, "video_too_many_frames", 422),
        ({"VIDEO_MAX_FRAME_PIXELS": 64 * 47}, "video_frame_too_large", 422),
        ({"VIDEO_MAX_UPLOAD_BYTES": 1000}, "payload_too_large", 413),
        ({"VIDEO_MIN_FREE_BYTES": 1 << 60}, "storage_full", 503),
    ],
)
def test_limits_are_refused_before_any_job(tiny_artifact, tmp_path, clip, settings, code, status):
    app = make_service(tiny_artifact, VIDEO_DIR=str(tmp_path / "videos"), **settings)
    client = app.test_client()
    assert error_of(post_clip(client, clip), status)["code"] == code
    store = app.extensions["colorizer_videos"].store
    assert not store.all() and not list(store.uploads.glob("*"))


def test_limits_are_published(video_app):
    limits = video_app.test_client().get("/v1/model").get_json()["limits"]["video"]
    assert limits["max_jobs_per_client"] == 2 and limits["max_upload_bytes"] == 200 * 1024 * 1024
    videos = video_app.test_client().get("/v1/model").get_json()["videos"]
    assert videos["supported"] and ".mp4" in videos["input_extensions"]


def test_bad_videos_get_4xx_json(video_app, tmp_path, clip):
    client = video_app.test_client()
    text = tmp_path / "notes.mp4"
    text.write_text("not a film at all")
    error = error_of(post_clip(client, text), 400)
    assert error["code"] == "invalid_video" and error["reason"] == "not_a_video"
    empty = client.post("/v1/videos", data=b"", content_type="video/mp4")
    assert error_of(empty, 400)["code"] in ("invalid_video", "missing_video")
    unknown = tmp_path / "unknown.avi"
    avi = write_clip(tmp_path / "mjpeg.avi", pan_frames(4, 64, 48), codec="mjpeg")
    unknown.write_bytes(avi.read_bytes().replace(b"MJPG", b"QZQZ"))
    assert error_of(post_clip(client, unknown), 422)["code"] == "unsupported_codec"
    assert error_of(client.post("/v1/videos", data=b"x", content_type="text/plain"), 415)
    assert (
        error_of(client.post("/v1/videos", data={"other": "x"}, content_type="multipart/form-data"), 400)["code"]
        == "missing_video"
    )
    bad = error_of(post_clip(client, clip, vibrance="7"), 422)
    assert bad["code"] == "invalid_parameter" and bad["parameter"] == "vibrance"
    assert error_of(post_clip(client, clip, crf="99"), 422)["parameter"] == "crf"
    assert not video_app.extensions["colorizer_videos"].store.all()


def test_unknown_and_malformed_ids_are_404(video_app):
    client = video_app.test_client()
    for job_id in ("0" * 32, "not-an-id", "..%2f..%2fetc"):
        assert error_of(client.get(f"/v1/videos/{job_id}"), 404)["code"] == "not_found"
        assert error_of(client.get(f"/v1/videos/{job_id}/result"), 404)["code"] == "not_found"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_an_unwritable_folder_is_503(tiny_artifact, tmp_path, clip):
    folder = tmp_path / "videos"
    app = make_service(tiny_artifact, VIDEO_DIR=str(folder))
    client = app.test_client()
    assert post_clip(client, clip).status_code == 202
    for sub in folder.iterdir():
        if sub.is_dir():
            sub.chmod(0o500)
    try:
        response = post_clip(client, clip)
        assert error_of(response, 503)["code"] == "result_store_unavailable" and response.headers["Retry-After"]
    finally:
        for sub in folder.iterdir():
            if sub.is_dir():
                sub.chmod(0o700)
    assert len(app.extensions["colorizer_videos"].store.all()) == 1  # what was there is kept


def test_a_folder_that_is_a_file_is_503(tiny_artifact, tmp_path, clip):
    """What root meets too: the video folder cannot be created (a file is in the way)."""
    blocker = tmp_path / "videos"
    blocker.write_text("in the way")
    app = make_service(tiny_artifact, VIDEO_DIR=str(blocker))
    assert error_of(post_clip(app.test_client(), clip), 503)["code"] == "result_store_unavailable"


def test_expired_jobs_are_gone(video_app, clip):
    client = video_app.test_client()
    job = post_clip(client, clip).get_json()
    client.delete(job["status_url"])
    store = video_app.extensions["colorizer_videos"].store
    assert store.sweep(now=10**12) == 1
    assert error_of(client.get(job["status_url"]), 404) and not store.all()


def run_queued_jobs(app) -> None:
    """What the video worker does with each queued job, in this process (the real JobRunner and model)."""
    from inference_service.video_worker import JobRunner, load_video_colorizer

    service = app.extensions["colorizer_videos"]
    runner = JobRunner(service.settings, service.store, load_video_colorizer(service.settings))
    for record in service.store.all():
        if record.state.value == "queued":
            runner.run(record.id)


def test_every_documented_video_response_is_what_the_service_answers(tiny_artifact, tmp_path, clip):
    """Each documented status of the video routes, provoked; every answer is held to the document."""
    from tests.service.test_openapi import _document, _documented_statuses

    app = make_service(tiny_artifact, VIDEO_DIR=str(tmp_path / "videos"), VIDEO_MAX_JOBS_PER_CLIENT=2)
    client = app.test_client()
    seen = set()

    def answered(response, path: str, method: str):
        seen.add((path, method, str(response.status_code)))
        return response

    videos, job_path, result_path = "/v1/videos", "/v1/videos/{job_id}", "/v1/videos/{job_id}/result"
    done = answered(post_clip(client, clip), videos, "post").get_json()
    run_queued_jobs(app)
    job = answered(client.get(done["status_url"]), job_path, "get").get_json()
    assert job["state"] == "done" and job["progress"]["frames_done"] == 12 and job["result_bytes"] > 0
    whole = answered(client.get(job["result_url"]), result_path, "get")
    assert whole.headers["Content-Type"] == "video/mp4" and int(whole.headers["Content-Length"]) == job["result_bytes"]
    answered(client.get(job["result_url"], headers={"Range": "bytes=0-9"}), result_path, "get")
    answered(client.get(job["result_url"], headers={"If-None-Match": f'"{job["id"]}"'}), result_path, "get")
    answered(client.get(job["result_url"], headers={"Range": "bytes=99999999-"}), result_path, "get")
    queued = post_clip(client, clip).get_json()
    answered(client.get(queued["result_url"]), result_path, "get")
    post_clip(client, clip)
    answered(post_clip(client, clip), videos, "post")  # the third active job of this client: 429
    answered(client.delete(queued["status_url"]), job_path, "delete")
    answered(client.delete(job["status_url"]), job_path, "delete")
    for path, method in ((job_path, "get"), (job_path, "delete"), (result_path, "get")):
        answered(
            client.open(job["status_url"] + ("/result" if path == result_path else ""), method=method), path, method
        )
    answered(client.post(videos, data=b"not a film", content_type="video/mp4"), videos, "post")
    answered(client.post(videos, data=b"x", content_type="text/plain"), videos, "post")
    answered(post_clip(client, clip, crf="-1"), videos, "post")
    big = make_service(tiny_artifact, VIDEO_DIR=str(tmp_path / "big"), VIDEO_MAX_UPLOAD_BYTES=100)
    answered(post_clip(big.test_client(), clip), videos, "post")
    full = make_service(tiny_artifact, VIDEO_DIR=str(tmp_path / "full"), VIDEO_MIN_FREE_BYTES=1 << 60)
    answered(post_clip(full.test_client(), clip), videos, "post")
    # The rerun's: tests/service/test_video_rerun.py provokes each of them.
    documented = {
        entry
        for entry in _documented_statuses(_document(client))
        if entry[0].startswith(videos) and not entry[0].endswith("/rerun")
    }
    assert seen == documented
