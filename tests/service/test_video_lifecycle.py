"""A job's life against every order of DELETEs, worker steps and sweeps (the real app, the real JobStore).

The worker's side is played here with the calls the video worker makes (take, heartbeat,
stop_requested, release), so Hypothesis can interleave them with DELETEs at will;
tests/service/test_video_jobs.py runs the same races on gunicorn and its real worker.
What must hold: a job being cancelled stays cancelled, the worker is told to stop and
stays told, a removed job is gone for the client at once (204, then 404), and the job's
files (and the record the worker polls) go only once the worker has let go, and then all.
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
    removed = False
    told_to_stop = False
    for step in [*steps, "delete", "poll", "delete"]:  # every sequence ends with the job gone
        if step == "delete":
            response = client.delete(job["status_url"])
            if deletes == 0:  # the first cancels the running job
                assert response.status_code == 200 and response.get_json()["state"] == "cancelled"
            elif not removed:  # the second removes it, for the client at once
                assert response.status_code == 204, response.get_data(as_text=True)
                removed = True
            else:
                assert response.status_code == 404
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
            if removed:
                assert response.status_code == 404
            else:
                state = response.get_json()["state"]
                assert state == ("cancelled" if deletes else "running"), state
        if worker.holding:
            assert worker.partial.exists() and store._read(job["id"]) is not None, "removed under the worker"
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
    assert client.delete(job["status_url"]).status_code == 204
    assert client.get(job["status_url"]).status_code == 404
    assert files_of(store, job["id"])  # held: its files are kept for its worker
    store.sweep(now=time.time() + HEARTBEAT_TIMEOUT_S + 1)
    assert files_of(store, job["id"]) == []


_JOB_IDS = st.sampled_from(["a" * 32, "b" * 32, "c" * 32])
_KINDS = ("upload", "result", "partial", "lock", "cancel")
_STATES = st.sampled_from(["none", "queued", "running", "running-lost", "done", "failed", "cancelled-held"])


@settings(max_examples=60, deadline=None)
@given(
    jobs=st.dictionaries(_JOB_IDS, _STATES, max_size=3),
    files=st.lists(st.tuples(_JOB_IDS, st.sampled_from(_KINDS)), max_size=10),
    strangers=st.lists(st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True), max_size=4),
)
def test_the_sweep_deletes_exactly_what_no_job_accounts_for(tmp_path_factory, jobs, files, strangers):
    store = JobStore(tmp_path_factory.mktemp("videos"), HEARTBEAT_TIMEOUT_S)
    store.ensure()
    now = time.time()
    for job_id, state in jobs.items():
        if state == "none":
            continue
        running = state.startswith("running")
        record = JobRecord(
            id=job_id,
            state=JobState.CANCELLED if state == "cancelled-held" else JobState(state.split("-")[0]),
            owner="ip:127.0.0.1",
            filename="",
            upload_suffix=".mp4",
            created_at=now,
            request_id="",
            options={},
            video={},
            held=running or state == "cancelled-held",
            heartbeat_at=now - (HEARTBEAT_TIMEOUT_S * 2 if state == "running-lost" else 0),
        )
        store.create(record)
    paths = {
        "upload": lambda job_id: store.uploads / f"{job_id}.mp4",
        "result": lambda job_id: store.results / f"{job_id}.mp4",
        "partial": lambda job_id: store.results / f".{job_id}.tmp-0123.mp4",
        "lock": lambda job_id: store.jobs / f"{job_id}.lock",
        "cancel": lambda job_id: store.jobs / f"{job_id}.cancel",
    }
    for job_id, kind in files:
        paths[kind](job_id).write_bytes(b"x")
    for name in strangers:  # files this store did not make (no job id in their name) are left alone
        if len(name.split(".", 1)[0]) != 32 and not name.startswith("."):
            (store.uploads / name).write_bytes(b"x")
    before = {path for path in (store.jobs, store.uploads, store.results) for path in path.iterdir()}
    store.sweep_leftovers(now)

    def needed(job_id: str, kind: str) -> bool:
        state = jobs.get(job_id, "none")
        live = state in ("running", "cancelled-held")
        return {
            "upload": state != "none",  # kept with its job, in any state (a rerun needs it)
            "result": state == "done" or live,
            "partial": live,
            "lock": state != "none",
            "cancel": state != "none",
        }[kind]

    for job_id, kind in files:
        assert paths[kind](job_id).exists() == needed(job_id, kind), (job_id, kind, jobs.get(job_id))
    for path in before:
        if path.parent == store.uploads and len(path.name.split(".", 1)[0]) != 32:
            assert path.exists(), path
    assert all(store._read(job_id) is not None for job_id, state in jobs.items() if state != "none")
