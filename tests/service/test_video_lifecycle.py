"""A job's life against every order of DELETEs, worker steps and sweeps (the real app, the real JobStore).

The worker's side is played here with the calls the video worker makes (take, heartbeat,
stop_requested, release), so Hypothesis can interleave them with DELETEs at will;
tests/service/test_video_jobs.py runs the same races on gunicorn and its real worker.
What must hold: a job being cancelled stays cancelled, the worker is told to stop and
stays told, and the job's files go only once the worker has let go, and then all of them.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from inference_service.video_jobs import JobRecord, JobState, JobStore
from tests.service.conftest import make_service
from tests.video.clips import pan_frames, write_clip

HEARTBEAT_TIMEOUT_S = 10.0
FAR_FUTURE = 10.0**12


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("clips") / "pan.mp4", pan_frames(6, 64, 48), rate=6)


@pytest.fixture(scope="module")
def video_app(tiny_artifact, tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    return make_service(
        tiny_artifact,
        VIDEO_DIR=str(folder),
        VIDEO_MAX_JOBS_PER_CLIENT=1000,
        VIDEO_MAX_ACTIVE_JOBS=1000,
        VIDEO_HEARTBEAT_TIMEOUT_S=HEARTBEAT_TIMEOUT_S,
    )


def store_of(app) -> JobStore:
    return app.extensions["colorizer_videos"].store


def files_of(store: JobStore, job_id: str) -> list[Path]:
    """Every file of the job, in any of the store's folders."""
    return [path for folder in (store.jobs, store.uploads, store.results) for path in folder.glob(f"*{job_id}*")]


def post_clip(client, clip: Path) -> dict:
    response = client.post(
        "/v1/videos", data={"video": (io.BytesIO(clip.read_bytes()), clip.name)}, content_type="multipart/form-data"
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


class PlayedWorker:
    """The video worker's calls on one job, as JobRunner makes them, with a film being written."""

    def __init__(self, store: JobStore, job_id: str) -> None:
        self.store = store
        self.job_id = job_id
        self.record: JobRecord | None = store.take(job_id, time.time())
        assert self.record is not None and self.record.held
        self.partial = store.results / f".{job_id}.tmp-0123.mp4"
        self.partial.write_bytes(b"half a film")
        self.holding = True

    def heartbeat(self) -> None:
        self.store.heartbeat(self.job_id, time.time())

    def poll(self) -> bool:
        """Between two batches: True once it was told to stop (it then stops, as colorize_video does)."""
        if self.store.stop_requested(self.job_id):
            self.partial.unlink(missing_ok=True)
            self.store.release(self.job_id, JobState.CANCELLED, time.time(), 3600)
            self.holding = False
            return True
        return False


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(["delete", "poll", "heartbeat", "sweep", "get"]), min_size=1, max_size=12))
def test_a_running_job_stays_cancelled_and_its_files_go_once_the_worker_lets_go(video_app, clip, steps):
    client = video_app.test_client()
    store = store_of(video_app)
    job = post_clip(client, clip)
    worker = PlayedWorker(store, job["id"])
    deletes = 0
    told_to_stop = False
    for step in [*steps, "delete", "poll", "delete"]:  # every sequence ends with the job gone
        if step == "delete":
            response = client.delete(job["status_url"])
            if worker.holding:
                # Never "removed" while the worker still writes: the job stays, cancelled.
                assert response.status_code == 200, response.get_data(as_text=True)
                assert response.get_json()["state"] == "cancelled"
            else:
                assert response.status_code in (200, 204, 404)
            deletes += 1
        elif step == "poll" and worker.holding:
            stopped = worker.poll()
            assert stopped == (deletes > 0)
            told_to_stop = told_to_stop or stopped
        elif step == "poll" and deletes:
            assert store.stop_requested(job["id"])  # told to stop, and it stays told
        elif step == "heartbeat" and worker.holding:
            worker.heartbeat()
        elif step == "sweep":
            store.sweep()
        elif step == "get":
            response = client.get(job["status_url"])
            if worker.holding:
                state = response.get_json()["state"]
                assert state == ("cancelled" if deletes else "running"), state
        if worker.holding and deletes:
            assert worker.partial.exists() and store.get(job["id"]) is not None, "removed under the worker"
    assert told_to_stop
    assert files_of(store, job["id"]) == []
    assert client.get(job["status_url"]).status_code == 404


def test_a_worker_that_dies_while_cancelling_leaves_nothing_after_the_sweep(video_app, clip):
    """DELETE twice, then the worker is killed before it lets go: its heartbeat stops, the sweep removes all."""
    client = video_app.test_client()
    store = store_of(video_app)
    job = post_clip(client, clip)
    PlayedWorker(store, job["id"])
    assert client.delete(job["status_url"]).status_code == 200
    assert client.delete(job["status_url"]).status_code == 200
    assert files_of(store, job["id"])  # held: nothing removed yet
    store.sweep(now=time.time() + HEARTBEAT_TIMEOUT_S + 1)
    assert files_of(store, job["id"]) == []
