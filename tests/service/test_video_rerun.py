"""POST /v1/videos/{id}/rerun through the app (Flask's test client, every answer held to the OpenAPI document).

A rerun is a new job on the source job's kept film (a hard link, no upload) with the
source's keyframes and the sent ones merged. Jobs are run by the real JobRunner (the
video worker's) in this process; tests/service/test_video_rerun_stack.py runs one through
gunicorn, its video worker and the gateway.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace

import pytest
from PIL import Image

from tests.service.conftest import error_of, make_service
from tests.service.test_videos import run_queued_jobs
from tests.video.clips import pan_frames, read_frames, write_clip
from video.keyframe_input import MAX_KEYFRAMES

PIN = {"x": 0.5, "y": 0.5, "color": "#a03020", "reach": "medium"}
OTHER_PIN = {"x": 0.2, "y": 0.3, "color": "#2050c0", "reach": "small"}
COLOUR = Image.fromarray(pan_frames(1, 64, 48, seed=3)[0])


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """10 frames of 64x48 at 25 fps (0.4 s): half a frame is 0.02 s."""
    return write_clip(tmp_path_factory.mktemp("clips") / "pan.mp4", pan_frames(10, 64, 48))


@pytest.fixture
def video_app(tiny_artifact, tmp_path):
    return make_service(tiny_artifact, VIDEO_DIR=str(tmp_path / "videos"), VIDEO_MAX_JOBS_PER_CLIENT=3)


def png(image: Image.Image) -> tuple[io.BytesIO, str]:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return buffer, "still.png"


def post(client, clip, keyframes=None, images=(), headers=None, **fields):
    data = {"video": (io.BytesIO(clip.read_bytes()), clip.name), "keyframe_images": [png(i) for i in images], **fields}
    if keyframes is not None:
        data["keyframes"] = json.dumps(keyframes)
    response = client.post("/v1/videos", data=data, content_type="multipart/form-data", headers=headers or {})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def rerun(client, job, keyframes=None, images=(), headers=None, **fields):
    data = {"keyframe_images": [png(image) for image in images], **fields}
    if keyframes is not None:
        data["keyframes"] = keyframes if isinstance(keyframes, str) else json.dumps(keyframes)
    return client.post(
        f"/v1/videos/{job['id']}/rerun", data=data, content_type="multipart/form-data", headers=headers or {}
    )


def store_of(app):
    return app.extensions["colorizer_videos"].store


def test_a_rerun_with_one_more_pin_merges_the_keyframes_and_makes_its_film(video_app, clip):
    client = video_app.test_client()
    source = post(client, clip, [{"time": 0.2, "image": 0}, {"time": 0.0, "hints": [PIN]}], [COLOUR], vibrance="1.2")
    assert source["keyframes"] == [
        {"time": 0.0, "hints": [PIN], "has_image": False},
        {"time": 0.2, "hints": [], "has_image": True},
    ]
    run_queued_jobs(video_app)
    assert client.get(source["status_url"]).get_json()["state"] == "done"
    # One more pin at 0.1 s, and pins at 0.21 s: within half a frame of the image at 0.2 s, which they replace.
    answer = rerun(client, source, [{"time": 0.1, "hints": [OTHER_PIN]}, {"time": 0.21, "hints": [PIN]}], crf="30")
    assert answer.status_code == 202, answer.get_data(as_text=True)
    job = answer.get_json()
    assert answer.headers["Location"] == job["status_url"] == f"/v1/videos/{job['id']}" and job["id"] != source["id"]
    assert job["state"] == "queued" and job["filename"] == source["filename"] and job["video"] == source["video"]
    assert job["options"] == {**source["options"], "crf": 30}  # vibrance 1.2 from the source, crf as sent
    assert job["keyframes"] == [
        {"time": 0.0, "hints": [PIN], "has_image": False},
        {"time": 0.1, "hints": [OTHER_PIN], "has_image": False},
        {"time": 0.21, "hints": [PIN], "has_image": False},
    ]
    assert client.get(job["status_url"]).get_json()["keyframes"] == job["keyframes"]
    # The film is the source's, linked: one file on disk under two names.
    store = store_of(video_app)
    films = sorted(store.uploads.iterdir())
    assert len(films) == 2 and films[0].stat().st_ino == films[1].stat().st_ino
    run_queued_jobs(video_app)
    done = client.get(job["status_url"]).get_json()
    assert done["state"] == "done" and done["progress"]["frames_done"] == 10, done
    path = store.root / "rerun.mp4"
    path.write_bytes(client.get(job["result_url"]).get_data())
    assert len(read_frames(path)) == 10


def test_an_empty_rerun_keeps_everything_and_replace_drops_the_kept_keyframes(video_app, clip):
    client = video_app.test_client()
    source = post(client, clip, [{"time": 0.1, "hints": [PIN]}], render_size="96")
    same = client.post(f"/v1/videos/{source['id']}/rerun", content_type="text/plain")  # no body at all
    assert same.status_code == 202, same.get_data(as_text=True)
    assert same.get_json()["keyframes"] == source["keyframes"] and same.get_json()["options"] == source["options"]
    fresh = rerun(client, source, [{"time": 0.3, "image": 0}], [COLOUR], keyframes_mode="replace")
    assert fresh.status_code == 202, fresh.get_data(as_text=True)
    assert fresh.get_json()["keyframes"] == [{"time": 0.3, "hints": [], "has_image": True}]


def test_the_source_may_be_in_any_state_and_removing_either_job_leaves_the_others_film(video_app, clip):
    client = video_app.test_client()
    source = post(client, clip)
    cancelled = client.delete(source["status_url"]).get_json()
    assert cancelled["state"] == "cancelled"
    first = rerun(client, source, [{"time": 0.1, "hints": [PIN]}]).get_json()  # of a cancelled job
    second = rerun(client, first, [{"time": 0.2, "hints": [PIN]}]).get_json()  # of a queued one
    assert [k["time"] for k in second["keyframes"]] == [0.1, 0.2]
    assert client.delete(source["status_url"]).status_code == 204  # the source is removed
    assert client.delete(second["status_url"]).status_code == 200  # the second cancelled, its film kept meanwhile
    assert client.delete(second["status_url"]).status_code == 204  # and removed
    store = store_of(video_app)
    store.sweep()
    assert [path.name for path in store.uploads.iterdir()] == [f"{first['id']}.mp4"]
    run_queued_jobs(video_app)
    assert client.get(first["status_url"]).get_json()["state"] == "done"


def test_another_clients_job_is_404_a_removed_one_404_and_a_swept_film_410(video_app, clip):
    client = video_app.test_client()
    mine, theirs = {"X-Colorizer-Client": "key:aaaa"}, {"X-Colorizer-Client": "key:bbbb"}
    source = post(client, clip, headers=mine)
    assert error_of(rerun(client, source, headers=theirs), 404)["code"] == "not_found"
    assert rerun(client, source, headers=mine).status_code == 202
    store = store_of(video_app)
    store.upload_path(store.get(source["id"])).unlink()  # the film gone, the record still there
    assert error_of(rerun(client, source, headers=mine), 410)["code"] == "video_source_gone"
    client.delete(source["status_url"], headers=mine)
    client.delete(source["status_url"], headers=mine)
    assert error_of(rerun(client, source, headers=mine), 404)["code"] == "not_found"
    assert len(store.all()) == 1 and len(list(store.uploads.iterdir())) == 1  # only the first rerun
    assert error_of(client.post("/v1/videos/0123/rerun"), 404)["code"] == "not_found"


@pytest.mark.parametrize(
    ("keyframes", "images", "code"),
    [
        ([{"time": 5.0, "hints": [PIN]}], [], "keyframe_time_out_of_range"),
        ([{"time": 0.1, "image": 0}], [COLOUR.convert("L")], "keyframe_not_colour"),
        ([{"time": 0.1, "image": 0}], [COLOUR.resize((48, 48))], "keyframe_aspect_ratio"),
        ([{"time": 0.1, "hints": [{"x": 1.5, "y": 0.5, "color": "#a03020"}]}], [], "invalid_hints"),
        ([{"time": 0.1}], [], "empty_keyframe"),
        ('[{"time": 0.1,', [], "invalid_keyframes"),
        # The source's MAX_KEYFRAMES - 1 and two more (one replacing none) are one too many.
        ([{"time": 0.399, "hints": [PIN]}, {"time": 0.35, "hints": [PIN]}], [], "too_many_keyframes"),
    ],
)
def test_bad_keyframes_are_a_400_with_their_code_and_no_job(video_app, clip, keyframes, images, code):
    client = video_app.test_client()
    kept = [{"time": n * 0.005, "hints": [PIN]} for n in range(MAX_KEYFRAMES - 1)]  # 0 .. 0.31 s
    source = post(client, clip, kept)
    assert error_of(rerun(client, source, keyframes, images), 400)["code"] == code
    store = store_of(video_app)
    assert [record.id for record in store.all()] == [source["id"]]
    assert len(list(store.uploads.iterdir())) == 1  # the link made for it is gone


def test_a_rerun_is_a_new_job_under_the_same_limits(video_app, clip):
    client = video_app.test_client()
    source = post(client, clip)
    assert error_of(rerun(client, source, crf="-1"), 422)["code"] == "invalid_parameter"
    assert error_of(rerun(client, source, keyframes_mode="append"), 422)["parameter"] == "keyframes_mode"
    text = client.post(f"/v1/videos/{source['id']}/rerun", data=b"x", content_type="text/plain")
    assert error_of(text, 415)["code"] == "unsupported_media_type"
    for _ in range(2):
        assert rerun(client, source).status_code == 202
    refused = rerun(client, source)  # the client's fourth active job: over VIDEO_MAX_JOBS_PER_CLIENT=3
    assert error_of(refused, 429)["code"] == "too_many_jobs" and refused.headers["Retry-After"]
    client.delete(source["status_url"])
    service = video_app.extensions["colorizer_videos"]
    service.settings = replace(service.settings, video_min_free_bytes=1 << 60)
    assert error_of(rerun(client, source), 503)["code"] == "storage_full"


def test_every_documented_rerun_response_is_what_the_service_answers(tiny_artifact, tmp_path, clip):
    """Each documented status of the rerun, provoked; every answer is held to the document."""
    from tests.service.test_openapi import _document, _documented_statuses

    app = make_service(
        tiny_artifact,
        VIDEO_DIR=str(tmp_path / "videos"),
        VIDEO_MAX_JOBS_PER_CLIENT=2,
        VIDEO_MAX_UPLOAD_BYTES=clip.stat().st_size + 1000,
    )
    client = app.test_client()
    path = "/v1/videos/{job_id}/rerun"
    source = post(client, clip)
    seen = {(path, "post", str(response.status_code)) for response in _provoked(app, client, source)}
    documented = {entry for entry in _documented_statuses(_document(client)) if entry[0] == path}
    assert seen == documented, sorted(seen)


def _provoked(app, client, source):
    noise = Image.frombytes("RGB", (640, 480), os.urandom(640 * 480 * 3))  # a PNG over the body limit
    yield rerun(client, source, [{"time": 9, "hints": [PIN]}])  # 400
    yield client.post("/v1/videos/" + "f" * 32 + "/rerun")  # 404
    yield rerun(client, source, [{"time": 0.1, "image": 0}], [noise])  # 413
    yield client.post(f"/v1/videos/{source['id']}/rerun", data=b"x", content_type="text/plain")  # 415
    yield rerun(client, source, vibrance="99")  # 422
    yield rerun(client, source, [{"time": 0.1, "hints": [PIN]}])  # 202
    yield rerun(client, source)  # 429: the source and its first rerun are queued
    client.delete(source["status_url"])
    service = app.extensions["colorizer_videos"]
    settings = service.settings
    service.settings = replace(settings, video_min_free_bytes=1 << 60)
    yield rerun(client, source)  # 503
    service.settings = settings
    store = service.store
    store.upload_path(store.get(source["id"])).unlink()
    yield rerun(client, source)  # 410


def test_where_the_volume_has_no_hard_links_the_film_is_copied(video_app, clip, monkeypatch):
    client = video_app.test_client()
    source = post(client, clip)

    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    job = rerun(client, source).get_json()
    store = store_of(video_app)
    original, copy = store.upload_path(store.get(source["id"])), store.upload_path(store.get(job["id"]))
    assert copy.read_bytes() == original.read_bytes() and copy.stat().st_ino != original.stat().st_ino
    client.delete(source["status_url"])
    client.delete(source["status_url"])
    assert not original.exists() and copy.exists()


def test_a_film_removed_while_it_is_linked_is_film_gone(video_app, clip):
    from inference_service.video_jobs import FilmGone

    client = video_app.test_client()
    store = store_of(video_app)
    record = store.get(post(client, clip)["id"])
    store.upload_path(record).unlink()
    with pytest.raises(FilmGone):
        store.link_upload(record, "e" * 32, 0)
    assert not (store.uploads / f"{'e' * 32}.mp4").exists()
