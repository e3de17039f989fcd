"""Video jobs run to the end by real processes: gunicorn, the video worker it starts, real FFmpeg (PyAV).

The round trip (upload, progress, the MP4 with the input's frames, size, rate and sound,
range requests), cancelling a running job (once, and twice: the worker still stops, and
the job's files go when it has), a worker killed mid-job (failed within seconds, never
"running" for ever, its half-written film swept), and a service restarted with jobs still
queued.
"""

from __future__ import annotations

import json
import os
import signal
import time

import av
import pytest
import requests

from inference_service.video_jobs import JobStore
from tests.processes import Gunicorn, log_lines
from tests.video.clips import pan_frames, write_clip

HEARTBEAT_TIMEOUT_S = 3
START_TIMEOUT_S = 120


def start_service(tiny_artifact, folder, video_workers: int = 1, **env) -> Gunicorn:
    settings = {
        "COLORIZER_ARTIFACT": str(tiny_artifact),
        "COLORIZER_TORCH_THREADS": "1",
        "COLORIZER_VIDEO_DIR": str(folder / "videos"),
        "COLORIZER_VIDEO_WORKERS": str(video_workers),
        "COLORIZER_VIDEO_NICE": "0",
        "COLORIZER_VIDEO_HEARTBEAT_TIMEOUT_S": str(HEARTBEAT_TIMEOUT_S),
        **env,
    }
    return Gunicorn(folder / f"service-{time.monotonic_ns()}.log", settings, workers=1).wait_ready(START_TIMEOUT_S)


def video_worker_pids(service: Gunicorn) -> list[int]:
    return [line["pid"] for line in log_lines(service.log_path) if line.get("message") == "video worker ready"]


def wait_for(check, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.2)


def job_state(service: Gunicorn, job: dict) -> dict:
    return requests.get(service.url + job["status_url"], timeout=10).json()


def post(service: Gunicorn, path, **fields) -> dict:
    with open(path, "rb") as file:
        response = requests.post(
            service.url + "/v1/videos", files={"video": (path.name, file)}, data=fields, timeout=60
        )
    assert response.status_code == 202, response.text
    return response.json()


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return {
        "short": write_clip(folder / "short.mp4", pan_frames(16, 96, 64), rate=15, audio="aac"),
        # Long enough to be caught running (a few seconds of work on a shared core).
        "long": write_clip(folder / "long.mp4", pan_frames(240, 320, 240), rate=24),
    }


def test_round_trip_with_progress_ranges_and_sound(tiny_artifact, tmp_path, clips):
    with start_service(tiny_artifact, tmp_path) as service:
        job = post(service, clips["short"], vibrance="1.3")
        seen = set()

        def done():
            state = job_state(service, job)
            seen.add(state["state"])
            assert state["state"] in ("queued", "running", "done"), state
            return state if state["state"] == "done" else None

        final = wait_for(done, 60, "the job is done")
        assert final["progress"]["frames_done"] == final["progress"]["frames_total"] == 16
        assert final["progress"]["percent"] == 100.0 and final["result_bytes"] > 0
        result = requests.get(service.url + final["result_url"], timeout=30)
        assert result.status_code == 200 and result.headers["Content-Type"] == "video/mp4"
        assert result.headers["Accept-Ranges"] == "bytes"
        assert result.headers["Content-Disposition"] == 'inline; filename="short-colorized.mp4"'
        output = tmp_path / "out.mp4"
        output.write_bytes(result.content)
        with av.open(str(output)) as container:
            video = container.streams.video[0]
            assert (video.width, video.height) == (96, 64)
            assert video.average_rate == 15
            assert len(container.streams.audio) == 1
            assert sum(1 for _ in container.decode(video=0)) == 16
        # A browser seeks with ranges.
        part = requests.get(service.url + final["result_url"], headers={"Range": "bytes=10-109"}, timeout=30)
        assert part.status_code == 206 and part.content == result.content[10:110]
        assert part.headers["Content-Range"] == f"bytes 10-109/{len(result.content)}"
        download = requests.get(service.url + final["result_url"] + "?download=1", timeout=30)
        assert download.headers["Content-Disposition"].startswith("attachment;")
        # Removing it removes the result.
        assert requests.delete(service.url + final["status_url"], timeout=10).status_code == 204
        assert requests.get(service.url + final["result_url"], timeout=10).status_code == 404


def job_state_status(service: Gunicorn, job: dict) -> int:
    return requests.get(service.url + job["status_url"], timeout=10).status_code


def worker_finished(service: Gunicorn, job: dict) -> dict | None:
    """The worker's "video job finished" log line of the job, once it has let go of it."""
    for line in log_lines(service.log_path):
        if line.get("message") == "video job finished" and line.get("job_id") == job["id"]:
            return line
    return None


def job_files(folder, job: dict) -> list:
    """Every file of the job in the video folder (records, locks, markers, uploads, results, partial films)."""
    return sorted(path.name for path in (folder / "videos").rglob(f"*{job['id']}*"))


def test_cancel_stops_a_running_job_within_seconds(tiny_artifact, tmp_path, clips):
    with start_service(tiny_artifact, tmp_path) as service:
        job = post(service, clips["long"])
        wait_for(lambda: job_state(service, job)["progress"]["frames_done"] > 0, 60, "the job is running")
        asked = time.monotonic()
        cancelled = requests.delete(service.url + job["status_url"], timeout=10)
        assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
        wait_for(lambda: worker_finished(service, job), 10, "the worker stopped the job")
        assert time.monotonic() - asked < 10
        assert job_state(service, job)["state"] == "cancelled"
        assert not list((tmp_path / "videos" / "results").iterdir())


def test_cancelling_twice_keeps_the_job_cancelled_until_the_worker_lets_go(tiny_artifact, tmp_path, clips):
    """The red team's hole: the second DELETE removed the record and the cancel marker the worker polls,
    so the worker colorized the deleted job to the end and left its result and lock behind for ever."""
    with start_service(tiny_artifact, tmp_path) as service:
        job = post(service, clips["long"])
        wait_for(lambda: job_state(service, job)["progress"]["frames_done"] > 0, 60, "the job is running")
        first = requests.delete(service.url + job["status_url"], timeout=10)
        second = requests.delete(service.url + job["status_url"], timeout=10)
        assert first.status_code == 200 and first.json()["state"] == "cancelled"
        assert second.status_code == 204 and job_state_status(service, job) == 404  # gone for the client
        asked = time.monotonic()
        finished = wait_for(lambda: worker_finished(service, job), 10, "the worker stopped the job")
        assert time.monotonic() - asked < 10 and finished["frames"] is None  # stopped, not run to the end
        assert job_state_status(service, job) == 404
        assert job_files(tmp_path, job) == []
        # The worker is free at once for the next job.
        again = post(service, clips["short"])
        wait_for(lambda: job_state(service, again)["state"] == "done", 30, "the next job is done")


def test_a_killed_worker_fails_its_job_and_another_takes_over(tiny_artifact, tmp_path, clips):
    with start_service(tiny_artifact, tmp_path) as service:
        job = post(service, clips["long"])
        # Killed once the film is being written (x264 holds the first few dozen frames back).
        results = tmp_path / "videos" / "results"
        wait_for(lambda: list(results.glob(f".{job['id']}.tmp-*")), 60, "the worker writes the film")
        [pid] = video_worker_pids(service)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        failed = wait_for(
            lambda: (state := job_state(service, job))["state"] != "running" and state, 15, "the job is not running"
        )
        assert time.monotonic() - killed < HEARTBEAT_TIMEOUT_S + 5
        assert failed["state"] == "failed" and failed["error"]["code"] == "worker_lost"
        assert failed["error"]["request_id"] and "send the video again" in failed["error"]["message"]
        # gunicorn's master starts another worker, which takes the next job.
        wait_for(lambda: len(video_worker_pids(service)) == 2, 60, "a new video worker")
        again = post(service, clips["short"])
        wait_for(lambda: job_state(service, again)["state"] == "done", 60, "the next job is done")
        # The new worker's sweep (at its start, then every heartbeat timeout) deleted the film the
        # killed one was writing; the failed job keeps only its record (and lock) and its film (for a
        # rerun) until it expires.
        wait_for(
            lambda: job_files(tmp_path, job) == [f"{job['id']}.json", f"{job['id']}.lock", f"{job['id']}.mp4"],
            HEARTBEAT_TIMEOUT_S * 3,
            f"only the record and the film are left: {job_files(tmp_path, job)}",
        )
    store = JobStore(tmp_path / "videos", HEARTBEAT_TIMEOUT_S)
    store.sweep(now=time.time() + 10**6)  # when every job has expired
    assert job_files(tmp_path, job) == job_files(tmp_path, again) == []
    assert not list(store.uploads.iterdir()) and not list(store.results.iterdir())


def test_queued_jobs_survive_a_restart(tiny_artifact, tmp_path, clips):
    with start_service(tiny_artifact, tmp_path, video_workers=0) as service:
        job = post(service, clips["short"])
        time.sleep(1)
        assert job_state(service, job)["state"] == "queued"
    with start_service(tiny_artifact, tmp_path, video_workers=1) as service:
        wait_for(lambda: job_state(service, job)["state"] == "done", 60, "the queued job ran after the restart")
        record = json.loads((tmp_path / "videos" / "jobs" / f"{job['id']}.json").read_text())
        assert record["frames_done"] == 16
