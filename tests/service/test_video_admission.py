"""The job limits hold against uploads sent side by side, and a refused or failed upload gives its place back.

The red team sent eight uploads at once, each body over a second, against a limit of
3 jobs per client: all eight were accepted, because the count was made before the
bodies were read and the jobs created after. A place is now reserved before the body is
read (under one lock of the video folder, shared by every web worker and replica) and
given back when the request fails.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.processes import Gunicorn
from tests.service.conftest import make_service
from tests.service.slow_uploads import uploads_side_by_side
from tests.video.clips import pan_frames, write_clip

START_TIMEOUT_S = 120
PER_CLIENT = 3
UPLOADS_AT_ONCE = 8


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("clips") / "pan.mp4", pan_frames(6, 64, 48), rate=6)


def test_uploads_sent_side_by_side_never_pass_the_per_client_limit(tiny_artifact, tmp_path, clip):
    settings_env = {
        "COLORIZER_ARTIFACT": str(tiny_artifact),
        "COLORIZER_TORCH_THREADS": "1",
        "COLORIZER_VIDEO_DIR": str(tmp_path / "videos"),
        "COLORIZER_VIDEO_MAX_JOBS_PER_CLIENT": str(PER_CLIENT),
    }
    # Two web workers: the uploads land in both processes, which share only the folder.
    with Gunicorn(tmp_path / "service.log", settings_env, workers=2).wait_ready(START_TIMEOUT_S) as service:
        answers = uploads_side_by_side(service.url, clip.read_bytes(), UPLOADS_AT_ONCE)
        statuses = [status for status, _ in answers]
        assert sorted(statuses) == [202] * PER_CLIENT + [429] * (UPLOADS_AT_ONCE - PER_CLIENT), statuses
        assert {body["error"]["code"] for status, body in answers if status == 429} == {"too_many_jobs"}
    assert not list((tmp_path / "videos" / "jobs").glob("*.reserved"))


@pytest.fixture(scope="module")
def limited_app(tiny_artifact, tmp_path_factory):
    return make_service(tiny_artifact, VIDEO_DIR=str(tmp_path_factory.mktemp("videos")), VIDEO_MAX_JOBS_PER_CLIENT=2)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(uploads=st.lists(st.sampled_from(["film", "garbage", "empty", "bad_option"]), min_size=1, max_size=7))
def test_refused_and_failed_uploads_give_their_place_back(limited_app, clip, uploads):
    client = limited_app.test_client()
    store = limited_app.extensions["colorizer_videos"].store
    for record in store.all():
        store.remove(record.id)  # each example starts with no jobs
    bodies = {"film": clip.read_bytes(), "garbage": b"\x00not a film" * 100, "empty": b"", "bad_option": b""}
    accepted = 0
    for upload in uploads:
        query = "?crf=99" if upload == "bad_option" else ""
        response = client.post(f"/v1/videos{query}", data=bodies[upload], content_type="video/mp4")
        if upload == "film" and accepted < 2:
            assert response.status_code == 202, response.get_data(as_text=True)
            accepted += 1
        elif upload == "film":
            assert response.status_code == 429
        else:
            assert response.status_code in (400, 422, 429), response.get_data(as_text=True)
        assert not list(store.jobs.glob("*.reserved")), "a place stayed taken after the answer"
        assert not list(store.uploads.glob("*.video")) and len(list(store.uploads.iterdir())) == accepted
    assert store.active_jobs() == accepted


def test_a_reservation_of_a_request_that_died_stops_counting(limited_app, clip):
    """A web worker killed while reading an upload leaves its reservation's file, unlocked: it no longer
    counts, and the sweep deletes it."""
    store = limited_app.extensions["colorizer_videos"].store
    for record in store.all():
        store.remove(record.id)
    client = limited_app.test_client()
    alive = store.reserve("a" * 32, "ip:127.0.0.1", 2, 100)
    dead = store.reserve("b" * 32, "ip:127.0.0.1", 2, 100)

    def post():
        return client.post("/v1/videos", data=io.BytesIO(clip.read_bytes()), content_type="video/mp4")

    assert post().status_code == 429
    dead._handle.close()  # what the kernel does for a killed process: the lock goes, the file stays
    assert post().status_code == 202
    assert post().status_code == 429  # the live one and the new job
    store.sweep()
    assert [path.name for path in store.jobs.glob("*.reserved")] == [f"{'a' * 32}.reserved"]
    alive.release()
